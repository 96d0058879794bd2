/* Sidecar Lab: the two socket calls Node cannot make (SO_ORIGINAL_DST, IP_TRANSPARENT), as N-API. */
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* From linux/netfilter_ipv4.h and linux/netfilter_ipv6/ip6_tables.h, without needing those headers. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif
#ifndef SOL_IP
#define SOL_IP 0
#endif
#ifndef SOL_IPV6
#define SOL_IPV6 41
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  char code[32];
  snprintf(message, sizeof message, "%s: %s (errno %d)", what, strerror(err), err);
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, code, message);
  return NULL;
}

static int fd_arg(napi_env env, napi_callback_info info, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, NULL, "expected a file descriptor (a non-negative integer)");
    return 0;
  }
  return 1;
}

static napi_value make_result(napi_env env, const char *address, int port, int family) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "address", v);
  napi_create_int32(env, port, &v);
  napi_set_named_property(env, obj, "port", v);
  napi_create_int32(env, family, &v);
  napi_set_named_property(env, obj, "family", v);
  return obj;
}

static napi_value v4_result(napi_env env, const struct sockaddr_in *sin) {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
  return make_result(env, text, ntohs(sin->sin_port), 4);
}

/* originalDst(fd) -> {address, port, family} | undefined when the connection was not NATed. */
static napi_value original_dst(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, &fd)) return NULL;

  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
    return throw_errno(env, "getsockname", errno);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);

  if (local.ss_family == AF_INET6) {
    struct sockaddr_in6 dst6;
    len = sizeof dst6;
    memset(&dst6, 0, sizeof dst6);
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst6, &len) == 0) {
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &dst6.sin6_addr, text, sizeof text);
      return make_result(env, text, ntohs(dst6.sin6_port), 6);
    }
    int err = errno;
    /* A dual-stack socket carrying IPv4 (::ffff:a.b.c.d) has an IPv4 conntrack entry. */
    const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&local;
    if (!IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) {
      if (err == ENOENT || err == ENOPROTOOPT) return undefined;
      return throw_errno(env, "getsockopt(IP6T_SO_ORIGINAL_DST)", err);
    }
  } else if (local.ss_family != AF_INET) {
    napi_throw_error(env, "EAFNOSUPPORT", "originalDst: not an IPv4 or IPv6 socket");
    return NULL;
  }

  struct sockaddr_in dst;
  len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) == 0) return v4_result(env, &dst);
  if (errno == ENOENT || errno == ENOPROTOOPT) return undefined;
  return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", errno);
}

/* setTransparent(fd): IP_TRANSPARENT (and IPV6_TRANSPARENT on IPv6 sockets); needs CAP_NET_ADMIN. */
static napi_value set_transparent(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, &fd)) return NULL;
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
    return throw_errno(env, "getsockname", errno);
  }
  int one = 1;
  if (local.ss_family == AF_INET6) {
    if (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one) != 0) {
      return throw_errno(env, "setsockopt(IPV6_TRANSPARENT)", errno);
    }
    /* Dual-stack sockets also take IPv4 connections; failure here is not fatal. */
    setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
  } else if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one) != 0) {
    return throw_errno(env, "setsockopt(IP_TRANSPARENT)", errno);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  napi_create_function(env, "setTransparent", NAPI_AUTO_LENGTH, set_transparent, NULL, &fn);
  napi_set_named_property(env, exports, "setTransparent", fn);
  return exports;
}
