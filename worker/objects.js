// The Durable Object adapters. Each one: creates the schema its Rust engine
// names, loads the rows the engine's query returns, hands every command to
// the engine, and applies the engine's SQL writes in one transaction before
// answering. If the writes fail, the engine is dropped and reloaded from
// storage on the next command, so memory never runs ahead of disk.
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
    for (const statement of this.Engine.schema()) sql.exec(statement);
    const rows = sql.exec(this.Engine.load_query()).toArray();
    this.engine = this.Engine.load(JSON.stringify(rows));
  }

  async fetch(request) {
    const command = await request.text();
    try {
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
    } catch (e) {
      console.warn("ringmark: object failed; reloading from storage:", e);
      this.engine = null;
      return new Response(JSON.stringify({ error: String(e) }), { status: 500 });
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
