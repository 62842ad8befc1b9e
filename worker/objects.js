// The Durable Object adapters. Each one: loads the rows the Rust engine's
// query returns (when its tables exist at all), hands every command to the
// engine, and applies the engine's SQL writes in one transaction before
// answering. Nothing here writes on its own: the engine's first write carries
// its schema, so an object that is only read (an unconfigured pool a token
// names) keeps no storage. If a command fails, the engine is dropped and
// reloaded from storage and the command tried once more, so memory never runs
// ahead of disk.
import { DurableObject } from "cloudflare:workers";
import { PoolObject as PoolEngine, DirectoryObject as DirectoryEngine } from "../pkg/ringmark.js";

class EngineObject extends DurableObject {
  constructor(ctx, env, Engine) {
    super(ctx, env);
    this.Engine = Engine;
    this.engine = null;
    ctx.blockConcurrencyWhile(async () => this.load());
  }

  load() {
    const sql = this.ctx.storage.sql;
    const stored = sql.exec(this.Engine.stored_query()).one().stored;
    const rows = stored ? sql.exec(this.Engine.load_query()).toArray() : [];
    this.engine = this.Engine.load(JSON.stringify(rows));
  }

  // One command: the engine decides, the writes land in one transaction, then the answer.
  run(command) {
    if (this.engine === null) this.load();
    const outcome = this.engine.handle(command);
    const writes = JSON.parse(outcome.writes);
    if (writes.length > 0) {
      const sql = this.ctx.storage.sql;
      this.ctx.storage.transactionSync(() => {
        for (const [statement, ...params] of writes) sql.exec(statement, ...params);
      });
    }
    return new Response(outcome.body, { status: outcome.status });
  }

  async fetch(request) {
    const command = await request.text();
    try {
      return this.run(command);
    } catch (first) {
      // Nothing of a failed command reached storage (the transaction rolled back, or the
      // engine threw before it). Reload from storage and try once more: after the Worker
      // re-instantiated the wasm module (a trap), the old engine belongs to the dead
      // instance and its first use throws.
      console.warn("ringmark: object failed; reloading from storage and retrying:", first);
      this.engine = null;
      try {
        return this.run(command);
      } catch (e) {
        console.warn("ringmark: object failed again:", e);
        this.engine = null;
        return new Response(JSON.stringify({ error: String(e) }), { status: 500 });
      }
    }
  }
}

export class PoolObject extends EngineObject {
  constructor(ctx, env) {
    super(ctx, env, PoolEngine);
  }
}

export class DirectoryObject extends EngineObject {
  constructor(ctx, env) {
    super(ctx, env, DirectoryEngine);
  }
}
