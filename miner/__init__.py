"""rephrase-miner's library: pure Column -> Column and DataFrame -> DataFrame transforms.

Nothing in this package builds a SparkSession, reads configuration or touches paths; the entry points in
`jobs/` do that and chain these transforms with `DataFrame.transform`.
"""
