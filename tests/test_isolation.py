"""tests.support.isolation: each parallel test process gets its own Redis database, or a clear error."""

import pytest

from tests.support.isolation import own_redis_database


def test_each_process_gets_the_database_after_the_named_one():
    assert own_redis_database("redis://127.0.0.1:6379/3", 0) == "redis://127.0.0.1:6379/4"
    assert own_redis_database("redis://127.0.0.1:6379/3", 1) == "redis://127.0.0.1:6379/5"
    assert own_redis_database("redis://127.0.0.1:6379", 1) == "redis://127.0.0.1:6379/2"


def test_a_database_past_redis_last_is_refused_by_name():
    with pytest.raises(RuntimeError, match="gw1 no Redis database: it would use 16"):
        own_redis_database("redis://127.0.0.1:6379/14", 1)
