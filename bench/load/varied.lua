-- The typical GET (../shared/tools/typical.lua) with values the WAF has never seen: every request
-- carries a new search term, page and session cookie, so the proxy's cache of clean values misses
-- on them. The other headers repeat, as one browser sends them on every request.
local words = {"red", "running", "shoes", "blue", "jacket", "winter", "sale", "kids", "leather",
  "boots", "summer", "dress"}
local n = 0
math.randomseed(42)

request = function()
  n = n + 1
  local q = words[math.random(#words)] .. "+" .. words[math.random(#words)] .. "+" .. n
  local path = "/shop/search?q=" .. q .. "&page=" .. (n % 50) ..
    "&sort=price&order=asc&utm_source=newsletter" .. n
  return wrk.format("GET", path, {
    ["Host"] = "www.example.com",
    ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ["Accept-Language"] = "en-US,en;q=0.9",
    ["Accept-Encoding"] = "gzip, deflate, br",
    ["Referer"] = "https://www.example.com/shop?page=" .. (n % 50),
    ["Cookie"] = string.format("session=%08x%08x%016x; theme=dark; lang=en", n, n * 7919, n * 104729),
  })
end
