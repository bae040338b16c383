"""Mock border systems and the synthetic population they are filled with."""
