// The JS twin of bench/projects/handlers/src/entry.py: the same paths, the same answers.
const ROWS = 1000;
let handled = 0;

export default {
  async fetch(request, env) {
    handled += 1;
    const path = new URL(request.url).pathname;
    if (path === "/kv") return new Response(await env.KV.get("greeting"));
    if (path === "/d1") {
      const row = await env.DB.prepare("SELECT id, name, value FROM items WHERE id = ?").bind((handled % ROWS) + 1).first();
      return Response.json(row);
    }
    if (path === "/json") {
      const data = await request.json();
      return Response.json({ name: data.name, count: data.items.length, ok: true });
    }
    if (path === "/setup") {
      await env.KV.put("greeting", "hello from KV");
      await env.DB.exec("DROP TABLE IF EXISTS items");
      await env.DB.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)");
      await env.DB.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO items SELECT i, 'item ' || i, i * 7 FROM n").bind(ROWS).run();
      return new Response("ready");
    }
    return new Response("Hello");
  },
};
