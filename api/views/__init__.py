"""View functions: the data of each page, shared by its HTML and JSON renderings."""
