module github.com/trawl-crawler/trawl/extract/testdata/detectors

go 1.26.8

require (
	github.com/gogs/chardet v0.0.0-20211120154057-b7413eaefb8f
	github.com/saintfish/chardet v0.0.0-20230101081208-5e3ef4b5456d
	github.com/trawl-crawler/trawl v0.0.0
	github.com/wlynxg/chardet v1.0.5
	golang.org/x/net v0.62.0
	golang.org/x/text v0.43.0
)

require (
	github.com/PuerkitoBio/goquery v1.13.0 // indirect
	github.com/andybalholm/cascadia v1.3.4 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/trawl-crawler/trawl => ../../..
