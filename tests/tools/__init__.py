"""Tests of the tools beside the broker: Kafka cluster script, network cut, CPU budget."""
