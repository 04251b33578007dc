-- wrk script: every request POSTs the same small JSON document (bench/handlers.py, /json).
wrk.method = "POST"
wrk.body = '{"name": "kiln", "items": [1, 2, 3, 4, 5], "nested": {"ok": true, "tags": ["a", "b"]}}'
wrk.headers["Content-Type"] = "application/json"
