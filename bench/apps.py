from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark: its data generator (`generate_bench_data`) and its floor page. Installed
    by bench.settings only, never by the site's settings."""

    name = "bench"
    verbose_name = "benchmark"
