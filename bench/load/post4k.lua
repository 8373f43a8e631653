-- A 4 KiB urlencoded form POST (benign text), for the body-inspection path.
local fields = {}
local words = {"alpha","bravo","charlie","delta","echo","foxtrot","golf","hotel","india","juliet"}
local i = 0
local body = ""
while #body < 4096 do
  i = i + 1
  body = body .. (i > 1 and "&" or "") .. "field" .. i .. "=" .. words[(i % #words) + 1] .. "+" .. words[((i * 3) % #words) + 1] .. "+text"
end
body = string.sub(body, 1, 4096)
wrk.method = "POST"
wrk.path = "/account/profile?tab=settings"
wrk.body = body
wrk.headers["Host"] = "www.example.com"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"
wrk.headers["Accept"] = "text/html,application/xhtml+xml"
