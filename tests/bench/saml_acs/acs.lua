-- acs.lua - the wrk script of tests/bench/saml_acs.sh: POSTs COUNT bodies
-- of a file (one form-encoded "SAMLResponse=..." a line, from gen.py),
-- from line FIRST on, each once and in order, to PATH.  One wrk thread:
--
--   wrk -t1 -c C -d MAX -s acs.lua URL -- BODIES PATH FIRST COUNT DONE
--
-- The run ends when the last of those lines has been answered (the thread
-- stops, and creates the file DONE: wrk itself sleeps out its -d unless
-- interrupted, so saml_acs.sh sends it SIGINT then) or at wrk's -d,
-- whichever comes first; so the script measures its own time, from the
-- first request written to the last answer read (LuaJIT's ffi and
-- clock_gettime), rather than wrk's -d.  An answer counts as "ok" (a
-- sign-in done) when it is a redirect (302 or 303) that sets a cookie;
-- anything else is "other", and the first three are shown on stderr.
-- done() prints one line:
--   acs: ok N other M sent S seconds T rate R next L
-- R = N / T, and L the first line not sent (FIRST of a next run).
local ffi = require("ffi")
ffi.cdef [[
	typedef struct { long tv_sec; long tv_nsec; } acs_timespec;
	int clock_gettime(int clock, acs_timespec *ts);
]]
local ts = ffi.new("acs_timespec")
local function now()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local the_thread

function setup(thread)
	the_thread = thread
end

function init(args)
	local file, first, count = args[1], tonumber(args[3] or "1"), tonumber(args[4] or "1e9")
	acs_path = args[2]
	done_file = args[5]
	bodies = {}
	local n = 0
	for line in io.lines(file) do
		n = n + 1
		if n >= first and #bodies < count then
			bodies[#bodies + 1] = line
		end
	end
	first_line = first
	next_body = 1
	ok, other, sent = 0, 0, 0
	exhausted = false
	checked = false
	t_first, t_last = 0, 0
	headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
	-- wrk (4.1) calls request() once before the run, to check that it
	-- makes a valid request: that call sends nothing, so it counts nothing.
	if not checked then
		checked = true
		return wrk.format("POST", acs_path, headers, bodies[1] or "")
	end
	local b = bodies[next_body]
	if b == nil then
		-- Every line sent: this connection sends nothing more (an empty
		-- request); the last answer stops the thread.
		return ""
	end
	if sent == 0 then
		t_first = now()
	end
	next_body = next_body + 1
	sent = sent + 1
	exhausted = next_body > #bodies
	return wrk.format("POST", acs_path, headers, b)
end

function response(status, hdrs, body)
	t_last = now()
	local cookie = hdrs["Set-Cookie"] or hdrs["set-cookie"]
	if (status == 302 or status == 303) and cookie ~= nil then
		ok = ok + 1
	else
		other = other + 1
		if other <= 3 then
			io.stderr:write("acs: answer " .. status .. ": " ..
				string.sub(body or "", 1, 300):gsub("%s+", " ") .. "\n")
		end
	end
	if exhausted and ok + other == sent then
		wrk.thread:stop()
		if done_file then
			local f = io.open(done_file, "w")
			if f then
				f:close()
			end
		end
	end
end

function done(summary, latency, requests)
	local t = the_thread
	local ok_n, other_n, sent_n = t:get("ok"), t:get("other"), t:get("sent")
	local secs = t:get("t_last") - t:get("t_first")
	local rate = 0
	if secs > 0 then
		rate = ok_n / secs
	end
	io.write(string.format("acs: ok %d other %d sent %d seconds %.3f rate %.1f next %d\n",
		ok_n, other_n, sent_n, secs, rate, t:get("first_line") + sent_n))
end
