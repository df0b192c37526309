"""Real data shipped inside the package (see SOURCES.md); read it with `nn.data.load_iris` etc."""
