"""Test support shared by every service's tests: fixtures for real servers, process helpers,
and a fault-injecting TCP proxy (`testing.proxy.FaultProxy`)."""
