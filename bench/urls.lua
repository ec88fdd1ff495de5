-- wrk script: cycle through the paths in $WRK_URLS (one a line), each thread from its own
-- offset; stop a thread after $WRK_MAX responses (the run is bounded in count as well as in
-- time); print one JSON line of results at the end.
local paths = {}
for line in io.lines(os.getenv("WRK_URLS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local max = tonumber(os.getenv("WRK_MAX") or "100000")
local threads = {}
local counter, responses = 0, 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = (tid or 0) * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  responses = responses + 1
  if responses >= max then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "p50": %d, ' ..
    '"p90": %d, "p99": %d, "max": %d}, "paths": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, #paths))
end
