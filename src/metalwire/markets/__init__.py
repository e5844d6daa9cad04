"""Cross-market analytics: import and export arbitrage, and normalization of off-spec cargoes."""
