"""A fixed-window counter in the cache, for the forms that send something out (the password
reset e-mail): refuses past ``limit`` hits per key and window. The cache is Redis in
production (shared by the web processes), local memory elsewhere."""

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False once the window already holds ``limit`` hits."""
    cache_key = f"filiere:throttle:{key}"
    # add() creates the counter with its expiry only if it does not exist; incr() is atomic
    # on Redis (and under the local-memory cache's lock).
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
