{
  "targets": [
    {
      "target_name": "recvmmsg",
      "sources": ["src/recvmmsg.cc"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_cc": ["-O2", "-std=c++17", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
