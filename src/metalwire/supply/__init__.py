"""Supply surveys: panels of producers, their monthly returns, and the statistics released."""
