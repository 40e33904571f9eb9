"""Where the data lives: paths, the run's lock, the working copy and its publication as
generations, the dbt project, housekeeping and the causes of failures."""
