/*
 * Where a sparse file holds data: lseek with SEEK_DATA and SEEK_HOLE, which Node does not
 * expose. An N-API module (context-aware, so backup hosts in worker threads can load it and be
 * terminated safely); it touches only the descriptor's file position, which positional reads
 * (pread, as Node's fs uses them) never consult.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <sys/types.h>
#ifndef _WIN32
#include <unistd.h>
#endif

static napi_value null_value(napi_env env) {
  napi_value value;
  napi_get_null(env, &value);
  return value;
}

/* dataRanges(fd, offset, length) -> [start0, end0, start1, end1, ...] | null */
static napi_value data_ranges(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  int64_t offset, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok || offset < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "dataRanges(fd, offset, length) takes three non-negative integers");
    return NULL;
  }
#if defined(SEEK_DATA) && defined(SEEK_HOLE) && !defined(_WIN32)
  napi_value result;
  napi_create_array(env, &result);
  const int64_t end = offset + length;
  uint32_t count = 0;
  for (int64_t at = offset; at < end;) {
    off_t data = lseek(fd, (off_t)at, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break; /* no data after `at` */
      return null_value(env);    /* EINVAL and the like: the file system cannot say */
    }
    if (data >= end) break;
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole <= data) return null_value(env);
    if (hole > end) hole = end;
    napi_value start_value, end_value;
    napi_create_int64(env, (int64_t)data, &start_value);
    napi_create_int64(env, (int64_t)hole, &end_value);
    napi_set_element(env, result, count++, start_value);
    napi_set_element(env, result, count++, end_value);
    at = hole;
  }
  return result;
#else
  (void)fd;
  return null_value(env);
#endif
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "dataRanges", NAPI_AUTO_LENGTH, data_ranges, NULL, &fn);
  napi_set_named_property(env, exports, "dataRanges", fn);
  return exports;
}
