"""The commodity catalog: groups, entries, commodities, price series, units and calendars."""
