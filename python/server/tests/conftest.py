# The plugin is tested by running pytest on small test files (pytester), in a
# subprocess each, as an application's test run would load it.
pytest_plugins = ["pytester"]
