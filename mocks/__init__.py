"""Mock border systems with synthetic data, for integration and load tests."""
