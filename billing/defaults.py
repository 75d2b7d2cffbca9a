"""The spec's Free, Pro ($19) and Business ($99) tiers: seeded as Plan rows by a migration, and
the fallback when a plan row is missing (a database emptied between tests, a plan deleted)."""

DEFAULT_PLANS = [
    # the spec's Free, Pro ($19) and Business ($99) tiers
    dict(code="free", name="Free", price_cents=0, image_renders_per_month=100, video_renders_per_month=10,
         max_templates=5, private_templates=False, requests_per_minute=10, webhooks=False,
         priority_rendering=False, render_time_limit=10, max_video_seconds=15, sort_order=0,
         max_api_keys=3, renders_in_flight=1, image_url_renders_per_minute=60, max_batch_rows=0, seats=1,
         custom_domains=0, analytics_days=7, analytics_intervals="day", analytics_groupings="route,status"),
    dict(code="pro", name="Pro", price_cents=1900, image_renders_per_month=5000, video_renders_per_month=500,
         max_templates=None, private_templates=True, requests_per_minute=100, webhooks=True,
         priority_rendering=True, render_time_limit=20, max_video_seconds=60, sort_order=1,
         max_api_keys=25, renders_in_flight=4, image_url_renders_per_minute=600, max_batch_rows=1000, seats=1,
         custom_domains=0, analytics_days=7, analytics_intervals="day", analytics_groupings="route,status"),
    dict(code="business", name="Business", price_cents=9900, image_renders_per_month=50000,
         video_renders_per_month=5000, max_templates=None, private_templates=True, requests_per_minute=500,
         webhooks=True, priority_rendering=True, render_time_limit=30, max_video_seconds=60, sort_order=2,
         max_api_keys=100, renders_in_flight=16, image_url_renders_per_minute=3000, max_batch_rows=10000, seats=10,
         custom_domains=5, analytics_days=90, analytics_intervals="minute,hour,day",
         analytics_groupings="route,template,key,status,format,cache"),
]  # fmt: skip
