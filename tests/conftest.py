"""Test-wide configuration: fixture plugins."""

pytest_plugins = ["tests.fixtures.kafka"]
