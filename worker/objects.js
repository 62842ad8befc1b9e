// The Durable Object adapters. Each one: loads the rows the Rust engine's
// query returns (when its tables exist at all), hands every command (an RPC
// call from the Worker: `stub.command(text)`) and every alarm to the engine,
// and carries out the engine's outcome before answering: its SQL writes in one
// transaction, then the alarm it asks for, then a purge, then the outbound requests it
// asks for, whose results go back to the engine (`fetched`) for another outcome, carried
// out the same way, until one asks for no requests. Nothing here decides
// anything: the engine's first write carries its schema, so an object that is
// only read (an unconfigured pool a token names) keeps no storage. If a command
// fails, the engine is dropped and reloaded from storage and the command tried
// once more, so memory never runs ahead of disk.
import { DurableObject } from "cloudflare:workers";
import {
  PoolObject as PoolEngine,
  DirectoryObject as DirectoryEngine,
  WebhooksObject as WebhooksEngine,
} from "../pkg/ringmark.js";

class EngineObject extends DurableObject {
  constructor(ctx, env, Engine) {
    super(ctx, env);
    this.Engine = Engine;
    this.engine = null;
    ctx.blockConcurrencyWhile(async () => this.load());
  }

  load() {
    const sql = this.ctx.storage.sql;
    const stored = sql.exec(this.Engine.stored_query()).one();
    const row = JSON.stringify(stored);
    // The pool's snapshot comes in parts, handed over one at a time as the engine parses them
    // (`load_streamed`): neither side then holds the whole snapshot text, which in a large pool
    // was most of a reload's peak (the rows, their JSON text, and the engine's copies of both).
    const parts = stored.stored ? this.Engine.parts_query?.(row) : undefined;
    if (parts !== undefined) {
      const rows = sql.exec(this.Engine.rows_query(row)).toArray();
      const cursor = sql.exec(parts);
      this.engine = this.Engine.load_streamed(JSON.stringify(rows), () => {
        const next = cursor.next();
        return next.done ? undefined : next.value.b;
      });
      return;
    }
    const rows = stored.stored ? sql.exec(this.Engine.load_query(row)).toArray() : [];
    this.engine = this.Engine.load(JSON.stringify(rows));
  }

  // One decision of the engine, carried out: the queries it needs answered first (a report
  // aggregated by SQLite), then writes in one transaction, the alarm, a purge, then its requests,
  // whose results make the next decision (until one asks for none). Answers the first.
  async carryOut(decide) {
    if (this.engine === null) this.load();
    let outcome = this.withReads(decide(this.engine));
    const answer = outcome.answers ?? outcome.answer; // a batch's answers, or the one answer
    for (;;) {
      await this.apply(outcome);
      const fetches = outcome.fetches;
      if (fetches.length === 0) return answer;
      const results = await Promise.all(fetches.map(outbound));
      if (this.engine === null) this.load();
      outcome = this.withReads(
        this.engine.fetched(
          results.map((r) => r.status),
          results.map((r) => r.body),
        ),
      );
    }
  }

  // Runs the queries an outcome names and hands their rows to the engine, until it names none.
  withReads(outcome) {
    const sql = this.ctx.storage.sql;
    for (let reads = JSON.parse(outcome.reads); reads.length > 0; reads = JSON.parse(outcome.reads)) {
      const rows = reads.map(([statement, ...params]) => sql.exec(statement, ...params).toArray());
      outcome = this.engine.read(JSON.stringify(rows));
    }
    return outcome;
  }

  // Writes in one transaction, the alarm, a purge. The writes are taken in chunks of about 1 MB
  // (`take_writes`: an open's writes together, each snapshot part alone), not as one text of them
  // all: a large pool's snapshot parts would otherwise sit in wasm memory twice (the parts and that
  // text) and in JavaScript twice more (the text and what JSON.parse makes of it).
  async apply(outcome) {
    const storage = this.ctx.storage;
    if (outcome.pending_writes > 0) {
      storage.transactionSync(() => {
        for (let chunk = outcome.take_writes(); chunk !== undefined; chunk = outcome.take_writes()) {
          for (const [statement, ...params] of JSON.parse(chunk)) storage.sql.exec(statement, ...params);
        }
      });
    }
    const alarm = outcome.alarm;
    if (alarm !== undefined) {
      // "No later than": keep an earlier alarm that is already set.
      const current = await storage.getAlarm();
      if (current === null || current > alarm) await storage.setAlarm(alarm);
    }
    if (outcome.purge) {
      await storage.deleteAlarm();
      await storage.deleteAll();
      this.engine = null;
    }
  }

  // Runs `decide` once; on failure reloads from storage and runs it once more.
  async twice(what, decide) {
    try {
      return await this.carryOut(decide);
    } catch (first) {
      // Nothing of a failed command reached storage (the transaction rolled back, or the
      // engine threw before it). Reload from storage and try once more: after the Worker
      // re-instantiated the wasm module (a trap), the old engine belongs to the dead
      // instance and its first use throws.
      // One JSON line like the module's (src/edge/log.rs). Only the error's name: its message may quote
      // stored rows (recipient ids); if the retry fails too, the error reaches the Worker's edge, which
      // logs it scrubbed of the request's recipient ids.
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: `object ${what} failed (${first?.name ?? "error"}); reloading from storage and retrying`,
          request_id: null,
          route: "object",
        }),
      );
      this.engine = null;
      try {
        return await this.carryOut(decide);
      } catch (e) {
        this.engine = null;
        throw e;
      }
    }
  }

  /** RPC from the Worker: one command (JSON text), answered with the engine's answer text. */
  async command(text) {
    return this.twice("command", (engine) => engine.handle(text));
  }

  /**
   * RPC from the Worker: commands coalesced into one call (worker/coalesce.js; opens only), answered
   * with one answer text per command, in order; their writes go in one transaction.
   */
  async commands(texts) {
    return this.twice("commands", (engine) => engine.handle_batch(texts));
  }

  /** The object's alarm (retention, webhook deliveries). A throw makes the platform retry it. */
  async alarm() {
    await this.twice("alarm", (engine) => engine.alarm());
  }
}

/** One outbound request an engine asked for: never follows redirects; status 0 and the error when it failed. */
async function outbound(f) {
  try {
    const answer = await fetch(f.url, {
      method: f.method,
      headers: f.headers,
      body: f.body,
      redirect: "manual",
      signal: AbortSignal.timeout(f.timeout_seconds * 1000),
    });
    return { status: answer.status, body: await answer.text() };
  } catch (e) {
    return { status: 0, body: String(e) };
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

export class WebhooksObject extends EngineObject {
  constructor(ctx, env) {
    super(ctx, env, WebhooksEngine);
  }
}
