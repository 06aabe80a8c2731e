"""The custody chain: append (through the storage repository), verify, export."""
