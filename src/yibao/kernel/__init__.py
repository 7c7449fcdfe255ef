"""The shared kernel: money, dates, errors and the NHSA code tables. Pure: standard library only."""
