/*
 * A sparse file's extents, which Node's fs does not reach:
 * - dataRanges: where the file holds data (lseek with SEEK_DATA and SEEK_HOLE). It touches only
 *   the descriptor's file position, which positional reads (pread, as Node's fs uses them)
 *   never consult.
 * - allocate: fallocate(2) a range about to be written, off the calling thread (a file on a
 *   network share may block). Writing into allocated (unwritten) extents skips ext4's delayed
 *   allocation bookkeeping per page: a third less kernel time per byte written, measured here.
 * An N-API module, context-aware, so hosts in worker threads can load it and be terminated
 * safely. It keeps no global state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <uv.h>
#ifndef _WIN32
#include <unistd.h>
#endif

static napi_value null_value(napi_env env) {
  napi_value value;
  napi_get_null(env, &value);
  return value;
}

/* Reads (fd, offset, length); throws a TypeError naming `usage` and returns 0 when invalid. */
static int range_arguments(napi_env env, napi_callback_info info, const char *usage, int32_t *fd,
                           int64_t *offset, int64_t *length) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], length) != napi_ok || *offset < 0 || *length < 0) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

/* dataRanges(fd, offset, length) -> [start0, end0, start1, end1, ...] | null */
static napi_value data_ranges(napi_env env, napi_callback_info info) {
  int32_t fd;
  int64_t offset, length;
  if (!range_arguments(env, info, "dataRanges(fd, offset, length) takes three non-negative integers",
                       &fd, &offset, &length))
    return NULL;
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

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int64_t offset, length;
  int error; /* 0: allocated; else the errno */
} allocation;

static void allocate_execute(napi_env env, void *data) {
  (void)env;
  allocation *a = data;
#ifdef __linux__
  int result;
  do {
    result = fallocate(a->fd, 0, (off_t)a->offset, (off_t)a->length);
  } while (result != 0 && errno == EINTR);
  a->error = result == 0 ? 0 : errno;
#else
  a->error = EOPNOTSUPP;
#endif
}

/* The file system (or platform) cannot allocate: not a failure, the write just goes on. */
static int unsupported(int error) {
  return error == EOPNOTSUPP || error == ENOSYS || error == EINVAL || error == ENODEV ||
         error == ESPIPE
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
         || error == ENOTSUP
#endif
      ;
}

/* An Error as Node's fs rejects with: code (ENOSPC, ...), errno (negative) and syscall. */
static napi_value errno_error(napi_env env, int error) {
  napi_value message, code, result, number, syscall;
  char text[200];
  const char *name = uv_err_name(-error);
  snprintf(text, sizeof text, "%s: %s, fallocate", name, strerror(error));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &result);
  napi_create_int32(env, -error, &number);
  napi_set_named_property(env, result, "errno", number);
  napi_create_string_utf8(env, "fallocate", NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, result, "syscall", syscall);
  return result;
}

static void reject_with(napi_env env, napi_deferred deferred, const char *text) {
  napi_value message, error;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_reject_deferred(env, deferred, error);
}

static void allocate_complete(napi_env env, napi_status status, void *data) {
  allocation *a = data;
  if (status != napi_ok) {
    reject_with(env, a->deferred, "allocate was cancelled");
  } else if (a->error == 0 || unsupported(a->error)) {
    napi_value allocated;
    napi_get_boolean(env, a->error == 0, &allocated);
    napi_resolve_deferred(env, a->deferred, allocated);
  } else {
    napi_reject_deferred(env, a->deferred, errno_error(env, a->error));
  }
  napi_delete_async_work(env, a->work);
  free(a);
}

/* allocate(fd, offset, length) -> Promise<boolean>: false where the file system cannot. */
static napi_value allocate(napi_env env, napi_callback_info info) {
  int32_t fd;
  int64_t offset, length;
  if (!range_arguments(env, info,
                       "allocate(fd, offset, length) takes a descriptor, an offset and a length",
                       &fd, &offset, &length))
    return NULL;
  allocation *a = calloc(1, sizeof *a);
  if (!a) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  a->fd = fd;
  a->offset = offset;
  a->length = length;
  napi_value promise, name;
  if (napi_create_promise(env, &a->deferred, &promise) != napi_ok) {
    free(a);
    napi_throw_error(env, NULL, "allocate: cannot create a promise");
    return NULL;
  }
  if (napi_create_string_utf8(env, "tessera.allocate", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, allocate_execute, allocate_complete, a, &a->work) !=
          napi_ok) {
    reject_with(env, a->deferred, "allocate: cannot create the work");
    free(a);
    return promise;
  }
  if (napi_queue_async_work(env, a->work) != napi_ok) {
    reject_with(env, a->deferred, "allocate: cannot queue the work");
    napi_delete_async_work(env, a->work);
    free(a);
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "dataRanges", NAPI_AUTO_LENGTH, data_ranges, NULL, &fn);
  napi_set_named_property(env, exports, "dataRanges", fn);
  napi_create_function(env, "allocate", NAPI_AUTO_LENGTH, allocate, NULL, &fn);
  napi_set_named_property(env, exports, "allocate", fn);
  return exports;
}
