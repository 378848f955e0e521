-- wardend_check.lua: wrk script for POST /v1/check against wardend (bench/wardend_load.sh).
--
--   WARDEN_TOKEN=... WARDEN_DATA=/abs/build/examples/plugins/reader/data \
--     wrk -t2 -c64 -d20s --latency -s bench/wardend_check.lua http://127.0.0.1:PORT/v1/check
--
-- Environment:
--   WARDEN_TOKEN      the bearer token of a reader client (required)
--   WARDEN_DATA       the examples.reader plugin's data directory, absolute: the base policy
--                     (examples/plugins/reader/policy.yaml) allows read of fs://data/** and
--                     denies read of fs://data/**/*.secret, relative to the contract's directory
--   WARDEN_COMPONENT  the component to ask about (default examples.reader)
--
-- Every connection cycles through a fixed list of single-check bodies (each thread starts at a
-- different offset): half allowed (a rule matches), half denied (the *.secret deny rule, a verb
-- the policy does not grant, paths outside the tree, a network host, an environment key, a
-- ".." walk out of the tree). The bodies are formatted once per thread in init(), so the script
-- costs wrk almost nothing per request. Every response is HTTP 200 (a denial is an answer, not
-- an error): wrk's "Non-2xx or 3xx responses" line must not appear.
--
-- done() prints one machine-readable line for the driver script:
--   WRK_RESULT requests=N duration_us=N rps=X p50_us=X p90_us=X p99_us=X p999_us=X max_us=X
--              non2xx=N connect=N read=N write=N timeout=N

local token = os.getenv("WARDEN_TOKEN")
local data = os.getenv("WARDEN_DATA")
local component = os.getenv("WARDEN_COMPONENT") or "examples.reader"

if not token or token == "" or not data or data == "" then
   io.stderr:write("wardend_check.lua: set WARDEN_TOKEN and WARDEN_DATA\n")
   os.exit(2)
end

local function q(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

-- {verb, target}; expected decision in the comment (the driver checks a few with curl).
local queries = {
   {"read", data .. "/hello.txt"},                       -- allow (fs://data/**)
   {"read", data .. "/api.secret"},                      -- deny  (fs://data/**/*.secret)
   {"read", data .. "/reports/2024/q3/summary.md"},      -- allow
   {"write", data .. "/hello.txt"},                      -- deny  (read only)
   {"read", data .. "/src/lib/module/index.json"},       -- allow
   {"read", "/etc/passwd"},                              -- deny  (no rule)
   {"read", data .. "/notes.txt"},                       -- allow
   {"read", data .. "/keys/prod/db.secret"},             -- deny  (*.secret deeper down)
   {"read", data .. "/a/b/c/d/e/f/g.txt"},               -- allow
   {"connect", "api.example.com:443"},                   -- deny  (no network rule)
   {"read", data .. "/cache/blob.bin"},                  -- allow
   {"env", "AWS_SECRET_ACCESS_KEY"},                     -- deny  (no environment rule)
   {"read", data .. "/logs/app.log"},                    -- allow
   {"read", data .. "/../contract.yaml"},                -- deny  (".." out of the tree)
}

local headers = {
   ["Authorization"] = "Bearer " .. token,
   ["Content-Type"] = "application/json",
}

local reqs = {}
local n = 0
local i = 0
local threads = 0 -- counts in the main Lua state; each thread gets its own "tid" global

function setup(thread)
   thread:set("tid", threads)
   threads = threads + 1
end

function init(args)
   for k, v in ipairs(queries) do
      local body = '{"component":' .. q(component) .. ',"verb":' .. q(v[1]) ..
                   ',"target":' .. q(v[2]) .. '}'
      reqs[k] = wrk.format("POST", nil, headers, body)
   end
   n = #reqs
   i = ((tid or 0) * 5) % n
end

function request()
   i = i + 1
   if i > n then i = 1 end
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d " ..
      "p999_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
