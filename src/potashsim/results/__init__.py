"""The results contract on disk: ``write`` saves runs and comparisons, ``read`` loads them back
(without ever re-running the model). See docs/results-contract.md."""
