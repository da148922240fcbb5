-- wrk script for bench.load's capacity phase: posts pre-signed Zalo webhook events, each once.
-- Args: the file of "mac<TAB>body" lines (bench/capacity.py writes it), and how many wrk threads
-- share it: thread t posts lines t, t + threads, t + 2 * threads, ... (never a duplicate unless the
-- file runs out, which is counted). On exit it prints one JSON line with what the run measured.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests_made, wrapped = 0, 0
  local path, stride = args[1], tonumber(args[2])
  local all = {}
  for line in io.lines(path) do all[#all + 1] = line end
  mine = {}
  for i = tid + 1, #all, stride do
    local tab = line_tab(all[i])
    mine[#mine + 1] = wrk.format("POST", "/webhook/zalo",
      {["Content-Type"] = "application/json", ["X-ZEvent-Signature"] = "mac=" .. all[i]:sub(1, tab - 1)},
      all[i]:sub(tab + 1))
  end
  idx = 0
end

function line_tab(line) return line:find("\t", 1, true) end

function request()
  idx = idx + 1
  if idx > #mine then idx, wrapped = 1, wrapped + 1 end
  requests_made = requests_made + 1
  return mine[idx]
end

function done(summary, latency, requests)
  local wrapped_total = 0
  for _, thread in ipairs(threads) do wrapped_total = wrapped_total + thread:get("wrapped") end
  io.write(string.format(
    '{"requests": %d, "seconds": %.4f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "file_wrapped": %d}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, wrapped_total))
end
