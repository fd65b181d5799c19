{
  "targets": [
    {
      "target_name": "seek_data",
      "sources": ["src/seek_data.c"]
    }
  ]
}
