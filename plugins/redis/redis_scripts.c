/* The Lua scripts of the Redis tier; see redis_scripts.h. */
#include <string.h>

#include <openssl/evp.h>

#include "redis_scripts.h"

/* Shared by the scripts that read a stored value: its status ('-' for a
 * tombstone), as-of time and event time (NONE for "-"), and the event
 * field's text. nil when it is not a value. */
#define TG__RD_LUA_PARSE                                                      \
    "local NONE = -math.huge\n"                                               \
    "local function parse(v)\n"                                               \
    "  local s, a, e = string.match(v, '^tg1 (%S) (%S+) (%S+) ')\n"           \
    "  if not s or not string.match(s, '^[%-0-6]$') then return nil end\n"    \
    "  local asof = tonumber(a)\n"                                            \
    "  if asof == nil then return nil end\n"                                  \
    "  local ev = NONE\n"                                                     \
    "  if e ~= '-' then ev = tonumber(e) end\n"                               \
    "  if ev == nil then return nil end\n"                                    \
    "  return s ~= '-', asof, ev, e\n"                                        \
    "end\n"

/* How a write meets the stored record (src/shared.h, tg__shared_write):
 * - ANSWER: refused after a later answer or an event at or after its
 *   as-of time; else stored, keeping the stored event time when later (the
 *   account's horizon outlives the answers);
 * - EVENT: refused when the stored event time is at or after it; nothing
 *   stored without a record with a status (events never create one); a
 *   tombstone when the stored answer is as of the event or later; else its
 *   status;
 * - TOMBSTONE: refused like an event; else stored.
 * Published unless refused. */
static const char tg__rd_lua_write[] =
    TG__RD_LUA_PARSE
    "local cur = redis.call('GET', KEYS[1])\n"
    "local has, asof, ev, evs\n"
    "if cur then\n"
    "  has, asof, ev, evs = parse(cur)\n"
    "  if has == nil then\n"
    "    return redis.error_reply('TGMALFORMED the stored record is malformed')\n"
    "  end\n"
    "end\n"
    "local _, gasof, gev = parse(ARGV[2])\n"
    "if gasof == nil then return redis.error_reply('TGMALFORMED the value given') end\n"
    "local value, ttl = ARGV[2], ARGV[3]\n"
    "if ARGV[1] == '0' then\n"
    "  if cur then\n"
    "    if has and asof > gasof then return 0 end\n"
    "    if ev >= gasof then return 0 end\n"
    "    if ev > gev then\n"
    "      local i, j = string.match(value, '^tg1 %S %S+ ()%S+() ')\n"
    "      value = string.sub(value, 1, i - 1) .. evs .. string.sub(value, j)\n"
    "    end\n"
    "  end\n"
    "elseif ARGV[1] == '1' then\n"
    "  if cur and ev >= gev then return 0 end\n"
    "  if not cur or not has then\n"
    "    value = nil\n"
    "  elseif asof ~= 0 and asof >= gev then\n"
    "    value, ttl = ARGV[7], ARGV[4]\n"
    "  end\n"
    "elseif ARGV[1] == '2' then\n"
    "  if cur and ev >= gev then return 0 end\n"
    "  ttl = ARGV[4]\n"
    "else\n"
    "  return redis.error_reply('TGMALFORMED the kind of write')\n"
    "end\n"
    "if value then redis.call('SET', KEYS[1], value, 'PX', ttl) end\n"
    "redis.call('PUBLISH', ARGV[5], ARGV[6])\n"
    "return 1\n";

static const char tg__rd_lua_raise[] =
    TG__RD_LUA_PARSE
    "local cur = redis.call('GET', KEYS[1])\n"
    "local _, _, gev = parse(ARGV[1])\n"
    "if gev == nil then return redis.error_reply('TGMALFORMED the value given') end\n"
    "local raise = 1\n"
    "if cur then\n"
    "  local has, _, ev = parse(cur)\n"
    "  if has == nil then\n"
    "    return redis.error_reply('TGMALFORMED the stored time is malformed')\n"
    "  end\n"
    "  if ev >= gev then raise = 0 end\n"
    "end\n"
    "if raise == 1 then\n"
    "  if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1])\n"
    "  else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end\n"
    "end\n"
    "redis.call('PUBLISH', ARGV[3], ARGV[4])\n"
    "return raise\n";

/* A record that cannot be read is dropped: that is what was asked. */
static const char tg__rd_lua_invalidate[] =
    TG__RD_LUA_PARSE
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur then\n"
    "  local has, _, ev = parse(cur)\n"
    "  if has == nil or (has and ev == NONE) then\n"
    "    redis.call('DEL', KEYS[1])\n"
    "  elseif has then\n"
    "    redis.call('SET', KEYS[1], string.sub(cur, 1, 4) .. '-' .. string.sub(cur, 6),\n"
    "               'PX', ARGV[1])\n"
    "  end\n"
    "end\n"
    "redis.call('PUBLISH', ARGV[2], ARGV[3])\n"
    "return 1\n";

static const char tg__rd_lua_unlock[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";

static int tg__rd_script_init(tg__rd_script *s, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    s->text = text;
    if (EVP_Digest(text, strlen(text), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
        return -1;
    for (i = 0; i < n; i++) {
        s->sha[2 * i] = hex[md[i] >> 4];
        s->sha[2 * i + 1] = hex[md[i] & 15];
    }
    s->sha[40] = '\0';
    return 0;
}

int tg__rd_scripts_init(tg__rd_scripts *s)
{
    if (tg__rd_script_init(&s->write, tg__rd_lua_write) != 0 ||
        tg__rd_script_init(&s->raise, tg__rd_lua_raise) != 0 ||
        tg__rd_script_init(&s->invalidate, tg__rd_lua_invalidate) != 0 ||
        tg__rd_script_init(&s->unlock, tg__rd_lua_unlock) != 0)
        return -1;
    return 0;
}
