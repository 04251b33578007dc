from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def scheduled(self, controller, env, ctx):
        # Runs on the cron in wrangler.jsonc; `kiln dev` fires it on time, and the studio's
        # "Trigger scheduled" (or GET /__scheduled?cron=...) runs it now.
        print(f"cron {controller.cron} fired")
        await self.env.RUNS.put("last", controller.cron)

    async def fetch(self, request):
        last = await self.env.RUNS.get("last")
        return Response(f"last run: {last or 'never'}\n")
