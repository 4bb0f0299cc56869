-- wrk script: replays pre-signed requests (bench/sign_requests.cc), each once; thread k of n
-- takes lines k, k+n, k+2n, ... of the file in REQUESTS_FILE.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("REQUESTS_FILE")
  local n = tonumber(os.getenv("WRK_THREADS") or "2")
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % n == thread_index then
      local method, target, host, auth, body =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      -- The Host header is signed: send exactly the one the line was signed with.
      local headers = { ["Host"] = host, ["Authorization"] = auth }
      if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
      reqs[#reqs + 1] = wrk.format(method, target, headers, body)
    end
    i = i + 1
  end
  next_index = 0
  exhausted = 0
end

function request()
  next_index = next_index + 1
  if next_index > #reqs then
    -- Out of fresh requests: replays will be refused (401) and counted as non-2xx.
    next_index = 1
    exhausted = exhausted + 1
  end
  return reqs[next_index]
end
