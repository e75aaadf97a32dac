// flowlens batched UDP receive: a Node-API addon (Linux).
//
// open(options, onBatch, onError) binds a UDP socket, watches it with a libuv
// uv_poll_t on the Node event loop and, whenever it is readable, drains it
// with recvmmsg(2) into one preallocated ArrayBuffer shared with JavaScript.
// After each recvmmsg call it calls onBatch(count) once; the datagrams of that
// batch are described in a second shared buffer ("meta", 32 bytes per slot):
//
//   u32 offset   where the payload starts in `data`
//   u32 length   payload bytes received
//   u32 port     source port
//   u32 family   4 or 6, plus FLAG_TRUNCATED when the datagram did not fit
//   u8[16]       source address in network order (IPv4: the first 4 bytes;
//                IPv4-mapped IPv6 sources are reported as IPv4)
//
// The slots are reused by the next batch, so JavaScript must be done with a
// batch when onBatch returns. Errors never throw out of the event loop: they
// are counted and passed to onError(code, message). The socket's kernel drop
// counter comes with every datagram (SO_RXQ_OVFL) and is read by stats().
//
// openSender(host, port) is the benchmark's counterpart: a connected UDP
// socket whose send(buffer, offsets, lengths, count) sends a batch with
// sendmmsg(2).

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <new>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

namespace {

constexpr uint32_t kMetaBytes = 32;
constexpr uint32_t kMetaWords = kMetaBytes / 4;
constexpr uint32_t kFlagTruncated = 0x100;
constexpr uint32_t kMaxBatch = 1024;  // UIO_MAXIOV
constexpr size_t kControlSize = CMSG_SPACE(sizeof(uint32_t));

// ---------------------------------------------------------------------------
// Small Node-API helpers. A failed Node-API call leaves a pending exception
// (or an error status) behind; helpers return nullptr so callers bail out.

#define CHECK_NAPI(env, call)                                       \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      ThrowIfNothingPending((env), "internal Node-API error: " #call); \
      return nullptr;                                               \
    }                                                               \
  } while (0)

void ThrowIfNothingPending(napi_env env, const char* message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_RECVMMSG_INTERNAL", message);
}

// An Error with Node's usual shape: message "syscall CODE: text", .code, .errno, .syscall.
napi_value MakeSystemError(napi_env env, const char* syscall, int err) {
  const char* code = uv_err_name(-err);
  char message[256];
  snprintf(message, sizeof message, "%s %s: %s", syscall, code, strerror(err));
  napi_value codeValue, messageValue, error, errnoValue, syscallValue;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codeValue) != napi_ok) return nullptr;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &messageValue) != napi_ok) return nullptr;
  if (napi_create_error(env, codeValue, messageValue, &error) != napi_ok) return nullptr;
  napi_create_int32(env, -err, &errnoValue);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscallValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_set_named_property(env, error, "syscall", syscallValue);
  return error;
}

void ThrowSystemError(napi_env env, const char* syscall, int err) {
  napi_value error = MakeSystemError(env, syscall, err);
  if (error != nullptr) napi_throw(env, error);
}

// Reads the option object[name]: *type is napi_undefined when it is absent or
// undefined, else *value and *type are set. False when N-API failed.
bool GetOptionProperty(napi_env env, napi_value object, const char* name, napi_value* value, napi_valuetype* type) {
  *type = napi_undefined;
  bool has = false;
  if (napi_has_named_property(env, object, name, &has) != napi_ok) return false;
  if (!has) return true;
  if (napi_get_named_property(env, object, name, value) != napi_ok) return false;
  napi_typeof(env, *value, type);
  return true;
}

bool GetUint32Property(napi_env env, napi_value object, const char* name, uint32_t fallback, uint32_t* out) {
  *out = fallback;
  napi_value v;
  napi_valuetype t;
  if (!GetOptionProperty(env, object, name, &v, &t)) return false;
  if (t == napi_undefined) return true;
  if (t != napi_number) {
    char message[128];
    snprintf(message, sizeof message, "option '%s' must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  double d = 0;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= 4294967295.0)) {
    char message[128];
    snprintf(message, sizeof message, "option '%s' is out of range", name);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

bool GetBoolProperty(napi_env env, napi_value object, const char* name, bool* out) {
  *out = false;
  napi_value v;
  napi_valuetype t;
  if (!GetOptionProperty(env, object, name, &v, &t)) return false;
  if (t == napi_boolean) napi_get_value_bool(env, v, out);
  return true;
}

// Parses a numeric IPv4 or IPv6 address into `addr`; returns its length or 0.
socklen_t ParseAddress(const char* host, uint32_t port, sockaddr_storage* addr) {
  memset(addr, 0, sizeof *addr);
  sockaddr_in* in4 = reinterpret_cast<sockaddr_in*>(addr);
  if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  sockaddr_in6* in6 = reinterpret_cast<sockaddr_in6*>(addr);
  if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in6);
  }
  return 0;
}

bool GetHost(napi_env env, napi_value object, const char* name, char* out, size_t size) {
  napi_value v;
  if (napi_get_named_property(env, object, name, &v) != napi_ok) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) {
    ThrowIfNothingPending(env, "host must be a string");
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Receiver

struct Receiver {
  napi_env env = nullptr;
  int fd = -1;
  uv_poll_t poll;
  bool pollStarted = false;
  bool closing = false;
  bool closeDone = false;
  bool finalized = false;
  bool cleanupHook = false;

  napi_ref self = nullptr;
  napi_ref onBatch = nullptr;
  napi_ref onError = nullptr;
  napi_ref dataRef = nullptr;
  napi_ref metaRef = nullptr;
  napi_async_context async = nullptr;

  uint8_t* data = nullptr;
  uint32_t* meta = nullptr;
  uint32_t batch = 64;
  uint32_t stride = 0;
  uint32_t maxDatagram = 65535;
  uint32_t budget = 4096;

  mmsghdr* msgs = nullptr;
  iovec* iov = nullptr;
  sockaddr_storage* names = nullptr;
  uint8_t* control = nullptr;

  double datagrams = 0;
  double bytes = 0;
  double batches = 0;
  double wakes = 0;
  double truncated = 0;
  double errors = 0;
  uint32_t drops = 0;
  bool dropsCounted = false;  // SO_RXQ_OVFL accepted
  int lastError = 0;
};

void FreeBuffers(Receiver* r) {
  free(r->msgs);
  free(r->iov);
  free(r->names);
  free(r->control);
  r->msgs = nullptr;
  r->iov = nullptr;
  r->names = nullptr;
  r->control = nullptr;
}

void MaybeDelete(Receiver* r) {
  if (r->closeDone && r->finalized) delete r;
}

void OnPollClosed(uv_handle_t* handle) {
  Receiver* r = static_cast<Receiver*>(handle->data);
  FreeBuffers(r);
  r->closeDone = true;
  MaybeDelete(r);
}

void CleanupHook(void* arg);

// Stops polling and closes the socket at once (the port is free when this
// returns); the poll handle is released on a later loop turn. `withJs` is
// false during environment teardown, when references must be left alone.
void CloseReceiver(Receiver* r, bool withJs) {
  if (r->closing) return;
  r->closing = true;
  if (r->pollStarted) {
    uv_poll_stop(&r->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&r->poll), OnPollClosed);
  } else {
    FreeBuffers(r);
    r->closeDone = true;
  }
  if (r->fd >= 0) {
    close(r->fd);
    r->fd = -1;
  }
  if (withJs) {
    napi_env env = r->env;
    if (r->cleanupHook) napi_remove_env_cleanup_hook(env, CleanupHook, r);
    r->cleanupHook = false;
    if (r->async != nullptr) napi_async_destroy(env, r->async);
    r->async = nullptr;
    napi_ref* refs[] = {&r->onBatch, &r->onError, &r->dataRef, &r->metaRef, &r->self};
    for (napi_ref* ref : refs) {
      if (*ref != nullptr) napi_delete_reference(env, *ref);
      *ref = nullptr;
    }
  }
}

void CleanupHook(void* arg) {
  Receiver* r = static_cast<Receiver*>(arg);
  r->cleanupHook = false;
  CloseReceiver(r, false);
}

void FinalizeReceiver(napi_env env, void* data, void* hint) {
  Receiver* r = static_cast<Receiver*>(data);
  if (!r->closing) CloseReceiver(r, false);
  r->finalized = true;
  MaybeDelete(r);
}

// Hands an exception thrown by a JavaScript callback to 'uncaughtException',
// as Node does for its own callbacks.
void ReportPendingException(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
}

void ReportError(Receiver* r, const char* syscall, int err) {
  r->errors++;
  r->lastError = err;
  if (r->onError == nullptr || r->closing) return;
  napi_env env = r->env;
  napi_value fn, recv, error;
  if (napi_get_reference_value(env, r->onError, &fn) != napi_ok || fn == nullptr) return;
  if (napi_get_reference_value(env, r->self, &recv) != napi_ok || recv == nullptr) return;
  error = MakeSystemError(env, syscall, err);
  if (error == nullptr) return;
  napi_value result;
  if (napi_make_callback(env, r->async, recv, fn, 1, &error, &result) != napi_ok) ReportPendingException(env);
}

// Fills the meta slots of one batch and the counters.
void DescribeBatch(Receiver* r, int n) {
  for (int i = 0; i < n; i++) {
    mmsghdr& m = r->msgs[i];
    uint32_t* slot = r->meta + static_cast<size_t>(i) * kMetaWords;
    uint8_t* addr = reinterpret_cast<uint8_t*>(slot + 4);
    uint32_t family = 0;
    uint32_t port = 0;
    const sockaddr_storage& name = r->names[i];
    if (name.ss_family == AF_INET) {
      const sockaddr_in* in4 = reinterpret_cast<const sockaddr_in*>(&name);
      family = 4;
      port = ntohs(in4->sin_port);
      memcpy(addr, &in4->sin_addr, 4);
    } else if (name.ss_family == AF_INET6) {
      const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&name);
      port = ntohs(in6->sin6_port);
      if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
        family = 4;
        memcpy(addr, reinterpret_cast<const uint8_t*>(&in6->sin6_addr) + 12, 4);
      } else {
        family = 6;
        memcpy(addr, &in6->sin6_addr, 16);
      }
    }
    uint32_t length = m.msg_len;
    if (m.msg_hdr.msg_flags & MSG_TRUNC) {
      family |= kFlagTruncated;
      r->truncated++;
      length = std::min(length, r->maxDatagram);
    }
    slot[1] = length;
    slot[2] = port;
    slot[3] = family;
    r->bytes += length;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr); c != nullptr; c = CMSG_NXTHDR(&m.msg_hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops;
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
        r->drops = drops;
      }
    }
  }
  r->datagrams += n;
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Receiver* r = static_cast<Receiver*>(handle->data);
  if (r->closing) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  r->wakes++;
  // A pending socket error is reported, then cleared by the recvmmsg call below.
  if (status < 0) ReportError(r, "uv_poll", -status);
  uint32_t taken = 0;
  while (!r->closing && taken < r->budget) {
    for (uint32_t i = 0; i < r->batch; i++) {
      msghdr& h = r->msgs[i].msg_hdr;
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_controllen = kControlSize;
      h.msg_flags = 0;
    }
    int n = recvmmsg(r->fd, r->msgs, r->batch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) ReportError(r, "recvmmsg", err);
      break;
    }
    if (n == 0) break;
    DescribeBatch(r, n);
    r->batches++;
    taken += static_cast<uint32_t>(n);
    napi_value fn, recv, count, result;
    if (napi_get_reference_value(env, r->onBatch, &fn) != napi_ok || fn == nullptr) break;
    if (napi_get_reference_value(env, r->self, &recv) != napi_ok || recv == nullptr) break;
    napi_create_uint32(env, static_cast<uint32_t>(n), &count);
    if (napi_make_callback(env, r->async, recv, fn, 1, &count, &result) != napi_ok) {
      ReportPendingException(env);
      break;
    }
    // Fewer than a full batch: the queue was empty a moment ago; poll again.
    if (static_cast<uint32_t>(n) < r->batch) break;
  }
  napi_close_handle_scope(env, scope);
}

Receiver* Unwrap(napi_env env, napi_callback_info info, napi_value* thisArg) {
  napi_value self;
  if (napi_get_cb_info(env, info, nullptr, nullptr, &self, nullptr) != napi_ok) return nullptr;
  void* data = nullptr;
  if (napi_unwrap(env, self, &data) != napi_ok || data == nullptr) {
    ThrowIfNothingPending(env, "not a recvmmsg socket");
    return nullptr;
  }
  if (thisArg != nullptr) *thisArg = self;
  return static_cast<Receiver*>(data);
}

napi_value ReceiverClose(napi_env env, napi_callback_info info) {
  Receiver* r = Unwrap(env, info, nullptr);
  if (r == nullptr) return nullptr;
  CloseReceiver(r, true);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

napi_value SetNumber(napi_env env, napi_value object, const char* name, double value) {
  napi_value v;
  if (napi_create_double(env, value, &v) != napi_ok) return nullptr;
  if (napi_set_named_property(env, object, name, v) != napi_ok) return nullptr;
  return v;
}

napi_value ReceiverStats(napi_env env, napi_callback_info info) {
  Receiver* r = Unwrap(env, info, nullptr);
  if (r == nullptr) return nullptr;
  napi_value out;
  CHECK_NAPI(env, napi_create_object(env, &out));
  SetNumber(env, out, "datagrams", r->datagrams);
  SetNumber(env, out, "bytes", r->bytes);
  SetNumber(env, out, "batches", r->batches);
  SetNumber(env, out, "wakes", r->wakes);
  SetNumber(env, out, "truncated", r->truncated);
  SetNumber(env, out, "errors", r->errors);
  SetNumber(env, out, "lastErrno", r->lastError);
  // The kernel attaches its drop counter only once it is non-zero, and only to datagrams queued after
  // a drop: the figure lags until the next datagram arrives. -1: SO_RXQ_OVFL not supported.
  SetNumber(env, out, "drops", r->dropsCounted ? static_cast<double>(r->drops) : -1);
  return out;
}

napi_value SetValue(napi_env env, napi_value object, const char* name, napi_value v) {
  if (napi_set_named_property(env, object, name, v) != napi_ok) return nullptr;
  return v;
}

napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(options, onBatch, onError)");
    return nullptr;
  }
  napi_valuetype t0, t1, t2;
  napi_typeof(env, argv[0], &t0);
  napi_typeof(env, argv[1], &t1);
  napi_typeof(env, argv[2], &t2);
  if (t0 != napi_object || t1 != napi_function || t2 != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(options, onBatch, onError)");
    return nullptr;
  }
  char host[128];
  uint32_t port, receiveBuffer, batch, maxDatagram, budget;
  bool reusePort;
  if (!GetHost(env, argv[0], "host", host, sizeof host)) return nullptr;
  if (!GetUint32Property(env, argv[0], "port", 0, &port)) return nullptr;
  if (!GetUint32Property(env, argv[0], "receiveBuffer", 0, &receiveBuffer)) return nullptr;
  if (!GetUint32Property(env, argv[0], "batch", 64, &batch)) return nullptr;
  if (!GetUint32Property(env, argv[0], "maxDatagram", 65535, &maxDatagram)) return nullptr;
  if (!GetUint32Property(env, argv[0], "budget", 0, &budget)) return nullptr;
  if (!GetBoolProperty(env, argv[0], "reusePort", &reusePort)) return nullptr;
  if (port > 65535 || batch < 1 || batch > kMaxBatch || maxDatagram < 1 || maxDatagram > 65535 ||
      receiveBuffer > 0x7fffffffu) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE",
                           "port 0-65535, batch 1-1024, maxDatagram 1-65535, receiveBuffer < 2^31");
    return nullptr;
  }
  if (budget == 0) budget = std::max<uint32_t>(batch * 16, 1024);

  sockaddr_storage addr;
  socklen_t addrLen = ParseAddress(host, port, &addr);
  if (addrLen == 0) {
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "host must be a numeric IPv4 or IPv6 address");
    return nullptr;
  }
  int family = addr.ss_family;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowSystemError(env, "socket", errno);
    return nullptr;
  }
  int one = 1, zero = 0;
  auto fail = [&](const char* syscall) -> napi_value {
    int err = errno;
    close(fd);
    ThrowSystemError(env, syscall, err);
    return nullptr;
  };
  // '::' receives IPv4 too, as Node's dgram does with ipv6Only: false.
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)
    return fail("setsockopt(IPV6_V6ONLY)");
  if (reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail("setsockopt(SO_REUSEPORT)");
  if (receiveBuffer > 0) {
    int size = static_cast<int>(receiveBuffer);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) return fail("setsockopt(SO_RCVBUF)");
  }
  // Optional: the kernel's drop counter on every datagram; without it stats().drops stays -1.
  bool dropsCounted = setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) == 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addrLen) != 0) return fail("bind");
  sockaddr_storage bound;
  socklen_t boundLen = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLen) != 0) return fail("getsockname");
  uint32_t boundPort = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                         : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  int granted = 0;
  socklen_t grantedLen = sizeof granted;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLen) != 0) return fail("getsockopt(SO_RCVBUF)");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");

  Receiver* r = new (std::nothrow) Receiver();
  if (r == nullptr) {
    close(fd);
    ThrowSystemError(env, "open", ENOMEM);
    return nullptr;
  }
  r->env = env;
  r->fd = fd;
  r->batch = batch;
  r->maxDatagram = maxDatagram;
  r->budget = budget;
  r->dropsCounted = dropsCounted;
  // Slots start on cache lines; the odd extra line keeps consecutive slots
  // from landing in the same cache sets when maxDatagram is a power of two.
  r->stride = ((maxDatagram + 63) & ~63u) + 64;
  r->msgs = static_cast<mmsghdr*>(calloc(batch, sizeof(mmsghdr)));
  r->iov = static_cast<iovec*>(calloc(batch, sizeof(iovec)));
  r->names = static_cast<sockaddr_storage*>(calloc(batch, sizeof(sockaddr_storage)));
  r->control = static_cast<uint8_t*>(calloc(batch, kControlSize));
  auto failAfter = [&](napi_value error) -> napi_value {
    CloseReceiver(r, true);
    r->finalized = true;
    MaybeDelete(r);
    if (error != nullptr) napi_throw(env, error);
    else ThrowIfNothingPending(env, "cannot set up the recvmmsg socket");
    return nullptr;
  };
  if (r->msgs == nullptr || r->iov == nullptr || r->names == nullptr || r->control == nullptr)
    return failAfter(MakeSystemError(env, "calloc", ENOMEM));

  napi_value data, meta, self;
  void* dataPtr = nullptr;
  void* metaPtr = nullptr;
  if (napi_create_arraybuffer(env, static_cast<size_t>(r->stride) * batch, &dataPtr, &data) != napi_ok ||
      napi_create_arraybuffer(env, static_cast<size_t>(kMetaBytes) * batch, &metaPtr, &meta) != napi_ok)
    return failAfter(nullptr);
  r->data = static_cast<uint8_t*>(dataPtr);
  r->meta = static_cast<uint32_t*>(metaPtr);
  for (uint32_t i = 0; i < batch; i++) {
    r->iov[i].iov_base = r->data + static_cast<size_t>(i) * r->stride;
    r->iov[i].iov_len = maxDatagram;
    msghdr& h = r->msgs[i].msg_hdr;
    h.msg_iov = &r->iov[i];
    h.msg_iovlen = 1;
    h.msg_name = &r->names[i];
    h.msg_control = r->control + i * kControlSize;
    r->meta[i * kMetaWords] = i * r->stride;
  }

  if (napi_create_object(env, &self) != napi_ok) return failAfter(nullptr);
  napi_value fnClose, fnStats, v;
  if (napi_create_function(env, "close", NAPI_AUTO_LENGTH, ReceiverClose, nullptr, &fnClose) != napi_ok ||
      napi_create_function(env, "stats", NAPI_AUTO_LENGTH, ReceiverStats, nullptr, &fnStats) != napi_ok)
    return failAfter(nullptr);
  SetValue(env, self, "close", fnClose);
  SetValue(env, self, "stats", fnStats);
  SetValue(env, self, "data", data);
  SetValue(env, self, "meta", meta);
  SetNumber(env, self, "port", boundPort);
  SetNumber(env, self, "receiveBuffer", granted);
  SetNumber(env, self, "inode", static_cast<double>(st.st_ino));
  SetNumber(env, self, "batch", batch);
  SetNumber(env, self, "stride", r->stride);
  SetNumber(env, self, "maxDatagram", maxDatagram);
  napi_create_uint32(env, family == AF_INET6 ? 6 : 4, &v);
  SetValue(env, self, "family", v);

  if (napi_wrap(env, self, r, FinalizeReceiver, nullptr, nullptr) != napi_ok) {
    // Not wrapped: nothing will finalize it, so the receiver owns itself from here.
    return failAfter(nullptr);
  }
  // From here on the finalizer owns deletion; failures only close.
  auto failWrapped = [&](napi_value error) -> napi_value {
    CloseReceiver(r, true);
    if (error != nullptr) napi_throw(env, error);
    else ThrowIfNothingPending(env, "cannot set up the recvmmsg socket");
    return nullptr;
  };
  if (napi_create_reference(env, self, 1, &r->self) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &r->onBatch) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &r->onError) != napi_ok ||
      napi_create_reference(env, data, 1, &r->dataRef) != napi_ok ||
      napi_create_reference(env, meta, 1, &r->metaRef) != napi_ok)
    return failWrapped(nullptr);
  napi_value resourceName;
  napi_create_string_utf8(env, "FLOWLENS_RECVMMSG", NAPI_AUTO_LENGTH, &resourceName);
  if (napi_async_init(env, self, resourceName, &r->async) != napi_ok) return failWrapped(nullptr);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return failWrapped(nullptr);
  int rc = uv_poll_init(loop, &r->poll, fd);
  if (rc != 0) return failWrapped(MakeSystemError(env, "uv_poll_init", -rc));
  r->poll.data = r;
  r->pollStarted = true;
  rc = uv_poll_start(&r->poll, UV_READABLE, OnReadable);
  if (rc != 0) return failWrapped(MakeSystemError(env, "uv_poll_start", -rc));
  if (napi_add_env_cleanup_hook(env, CleanupHook, r) == napi_ok) r->cleanupHook = true;
  return self;
}

// ---------------------------------------------------------------------------
// Sender (benchmarks): a connected socket and sendmmsg.

struct Sender {
  int fd = -1;
  mmsghdr msgs[kMaxBatch];
  iovec iov[kMaxBatch];
};

void FinalizeSender(napi_env env, void* data, void* hint) {
  Sender* s = static_cast<Sender*>(data);
  if (s->fd >= 0) close(s->fd);
  delete s;
}

Sender* UnwrapSender(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  if (napi_get_cb_info(env, info, argc, argv, &self, nullptr) != napi_ok) return nullptr;
  void* data = nullptr;
  if (napi_unwrap(env, self, &data) != napi_ok || data == nullptr) {
    ThrowIfNothingPending(env, "not a sender");
    return nullptr;
  }
  return static_cast<Sender*>(data);
}

// send(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count) -> datagrams sent
napi_value SenderSend(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Sender* s = UnwrapSender(env, info, &argc, argv);
  if (s == nullptr) return nullptr;
  if (s->fd < 0) {
    ThrowSystemError(env, "sendmmsg", EBADF);
    return nullptr;
  }
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(buffer, offsets, lengths, count)");
    return nullptr;
  }
  napi_typedarray_type type;
  size_t byteOffset;
  void* raw;
  napi_value ab;
  uint8_t* buf;
  size_t bufLength;
  uint32_t* offsets;
  uint32_t* lengths;
  size_t nOffsets, nLengths;
  if (napi_get_typedarray_info(env, argv[0], &type, &bufLength, &raw, &ab, &byteOffset) != napi_ok ||
      type != napi_uint8_array) {
    ThrowIfNothingPending(env, "buffer must be a Uint8Array");
    return nullptr;
  }
  buf = static_cast<uint8_t*>(raw);
  if (napi_get_typedarray_info(env, argv[1], &type, &nOffsets, &raw, &ab, &byteOffset) != napi_ok ||
      type != napi_uint32_array) {
    ThrowIfNothingPending(env, "offsets must be a Uint32Array");
    return nullptr;
  }
  offsets = static_cast<uint32_t*>(raw);
  if (napi_get_typedarray_info(env, argv[2], &type, &nLengths, &raw, &ab, &byteOffset) != napi_ok ||
      type != napi_uint32_array) {
    ThrowIfNothingPending(env, "lengths must be a Uint32Array");
    return nullptr;
  }
  lengths = static_cast<uint32_t*>(raw);
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[3], &count) != napi_ok) {
    ThrowIfNothingPending(env, "count must be a number");
    return nullptr;
  }
  count = std::min<uint32_t>(count, kMaxBatch);
  if (count > nOffsets || count > nLengths) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "count exceeds offsets or lengths");
    return nullptr;
  }
  for (uint32_t i = 0; i < count; i++) {
    if (static_cast<size_t>(offsets[i]) + lengths[i] > bufLength) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "datagram outside the buffer");
      return nullptr;
    }
    s->iov[i].iov_base = buf + offsets[i];
    s->iov[i].iov_len = lengths[i];
    memset(&s->msgs[i].msg_hdr, 0, sizeof(msghdr));
    s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
    s->msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint32_t sent = 0;
  while (sent < count) {
    int n = sendmmsg(s->fd, s->msgs + sent, count - sent, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Loopback refusals (nobody listening yet) and full queues are not fatal for a benchmark sender.
      if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) break;
      ThrowSystemError(env, "sendmmsg", errno);
      return nullptr;
    }
    sent += static_cast<uint32_t>(n);
  }
  napi_value out;
  CHECK_NAPI(env, napi_create_uint32(env, sent, &out));
  return out;
}

napi_value SenderClose(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sender* s = UnwrapSender(env, info, &argc, nullptr);
  if (s == nullptr) return nullptr;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

// openSender({host, port, sendBuffer}) -> { send, close }
napi_value OpenSender(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "openSender({host, port})");
    return nullptr;
  }
  char host[128];
  uint32_t port, sendBuffer;
  if (!GetHost(env, argv[0], "host", host, sizeof host)) return nullptr;
  if (!GetUint32Property(env, argv[0], "port", 0, &port)) return nullptr;
  if (!GetUint32Property(env, argv[0], "sendBuffer", 0, &sendBuffer)) return nullptr;
  sockaddr_storage addr;
  socklen_t addrLen = ParseAddress(host, port, &addr);
  if (addrLen == 0 || port == 0 || port > 65535) {
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "host must be a numeric address, port 1-65535");
    return nullptr;
  }
  int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowSystemError(env, "socket", errno);
    return nullptr;
  }
  if (sendBuffer > 0 && sendBuffer < 0x7fffffffu) {
    int size = static_cast<int>(sendBuffer);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), addrLen) != 0) {
    int err = errno;
    close(fd);
    ThrowSystemError(env, "connect", err);
    return nullptr;
  }
  Sender* s = new (std::nothrow) Sender();
  if (s == nullptr) {
    close(fd);
    ThrowSystemError(env, "openSender", ENOMEM);
    return nullptr;
  }
  s->fd = fd;
  napi_value self, fnSend, fnClose;
  if (napi_create_object(env, &self) != napi_ok ||
      napi_create_function(env, "send", NAPI_AUTO_LENGTH, SenderSend, nullptr, &fnSend) != napi_ok ||
      napi_create_function(env, "close", NAPI_AUTO_LENGTH, SenderClose, nullptr, &fnClose) != napi_ok ||
      napi_wrap(env, self, s, FinalizeSender, nullptr, nullptr) != napi_ok) {
    close(fd);
    delete s;
    ThrowIfNothingPending(env, "cannot create the sender");
    return nullptr;
  }
  SetValue(env, self, "send", fnSend);
  SetValue(env, self, "close", fnClose);
  return self;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK_NAPI(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, nullptr, &fn));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "open", fn));
  CHECK_NAPI(env, napi_create_function(env, "openSender", NAPI_AUTO_LENGTH, OpenSender, nullptr, &fn));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "openSender", fn));
  napi_value v;
  CHECK_NAPI(env, napi_create_uint32(env, kMetaBytes, &v));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "metaBytes", v));
  CHECK_NAPI(env, napi_create_uint32(env, kFlagTruncated, &v));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "flagTruncated", v));
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
