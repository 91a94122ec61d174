"""Benchmark harness: data sets, load scenarios, the exam burst and report query counts (see docs/benchmarks.md)."""
