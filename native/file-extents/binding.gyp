{
  "targets": [
    {
      "target_name": "file_extents",
      "sources": ["src/file_extents.c"]
    }
  ]
}
