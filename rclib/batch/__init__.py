"""Batch machinery: the paper's grid of runs through submitit (Slurm or local processes) and the papermill
runner that rebuilds every notebook."""
