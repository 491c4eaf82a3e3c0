"""Text measures used by the vocabulary and clarity analyzers: formulas on token lists.

Each function takes the tokens (or counts) an analyzer already has and returns a number; the
analyzers decide on which text, and from how many tokens, a measure is given (NaN below).
"""
