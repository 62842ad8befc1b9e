// The floor: what a request that must touch one pool object costs on this platform with no
// work of ringmark's. Each route answers the same 43-byte GIF as ringmark's pixel.
//   GET /            no object (the Worker alone)
//   GET /rpc/{key}   one insert in the object, called by RPC: stub.record(key)
//   GET /fetch/{key} the same insert, called by stub.fetch()
//   GET /rpc0/, /fetch0/  the same calls to the object, which then writes nothing (the transport alone)
// All requests go to one object, as all opens of a pool go to its one object.
import { DurableObject } from "cloudflare:workers";

const GIF = Uint8Array.from(
  atob("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"),
  (c) => c.charCodeAt(0),
);
const HEADERS = { "content-type": "image/gif", "cache-control": "no-cache, no-store, must-revalidate, private" };

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL)");
  }

  /** RPC: one insert; answers a short text, as ringmark's `command` does. */
  async record(key) {
    this.ctx.storage.sql.exec("INSERT INTO hits (key, at) VALUES (?, ?)", key, Date.now());
    return "ok";
  }

  /** RPC that touches no storage. */
  async noop(key) {
    return "ok";
  }

  /** The same insert behind the fetch handler (none for /0/...). */
  async fetch(request) {
    const key = new URL(request.url).pathname.slice(1);
    if (key.startsWith("0/")) return new Response("ok");
    this.ctx.storage.sql.exec("INSERT INTO hits (key, at) VALUES (?, ?)", key, Date.now());
    return new Response("ok");
  }

  /** How many inserts the object holds (the bench checks nothing was lost). */
  async count() {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM hits").one().n;
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/") return new Response(GIF, { headers: HEADERS });
    const stub = env.FLOOR.get(env.FLOOR.idFromName("pool"));
    if (path.startsWith("/rpc/")) {
      await stub.record(path.slice(5));
      return new Response(GIF, { headers: HEADERS });
    }
    if (path.startsWith("/fetch/")) {
      const answer = await stub.fetch(`https://floor/${path.slice(7)}`);
      await answer.text();
      return new Response(GIF, { headers: HEADERS });
    }
    if (path.startsWith("/rpc0/")) {
      await stub.noop(path.slice(6));
      return new Response(GIF, { headers: HEADERS });
    }
    if (path.startsWith("/fetch0/")) {
      const answer = await stub.fetch(`https://floor/0/${path.slice(8)}`);
      await answer.text();
      return new Response(GIF, { headers: HEADERS });
    }
    if (path === "/count") return new Response(String(await stub.count()));
    return new Response("not found", { status: 404 });
  },
};
