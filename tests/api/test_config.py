"""Configuration from the environment, under SFN Local's variable names."""

from __future__ import annotations

import pytest

from asl_engine.clock import RealClock, ScaledClock, VirtualClock
from asl_engine.config import Config


def test_defaults():
    config = Config.from_env({})
    assert (config.account_id, config.region, config.db_path) == ("123456789012", "us-east-1", "./asl-engine.db")
    assert type(config.make_clock()) is RealClock


def test_sfn_local_names_and_overrides():
    env = {"AWS_ACCOUNT_ID": "111122223333", "AWS_DEFAULT_REGION": "eu-west-1", "WAIT_TIME_SCALE": "0.5"}
    config = Config.from_env(env, db_path="/tmp/x.db")
    assert (config.account_id, config.region, config.db_path) == ("111122223333", "eu-west-1", "/tmp/x.db")
    clock = config.make_clock()  # WAIT_TIME_SCALE scales Wait states only: the clock stays real
    assert type(clock) is RealClock and clock.wait_time_scale == 0.5
    scaled = Config.from_env({"ASL_ENGINE_CLOCK": "scaled:0.01"}).make_clock()
    assert isinstance(scaled, ScaledClock) and scaled.scale == 0.01


def test_virtual_clock_for_tests():
    assert isinstance(Config.from_env({"ASL_ENGINE_CLOCK": "virtual"}).make_clock(), VirtualClock)
    with pytest.raises(ValueError):
        Config.from_env({"ASL_ENGINE_CLOCK": "sundial"}).make_clock()
