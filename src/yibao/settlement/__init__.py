"""Settlement: the line split, the visit settlement with its trace, mid-stay settlement and reversal."""
