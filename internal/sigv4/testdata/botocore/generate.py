"""Writes requests signed by botocore (the signer of the AWS CLI) as raw HTTP/1.1 text.

Run from this folder: python3 generate.py. Each NAME.txt is the request as it goes on the
wire; cases.json says with which secret and at which instant it must verify. The secret and
the token are made up.
"""
import datetime
import json
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIDBOTOCOREEXAMPLE"
SECRET = "botocore/Secret+Key/EXAMPLEEXAMPLEEXAMPLE"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//+token=="
WHEN = datetime.datetime(2024, 3, 9, 22, 15, 30)

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
JSON = {"Content-Type": "application/json"}

# name, method, url, headers, body, service, token, presign expiry (None: header form)
CASES = [
    ("sts-post-form", "POST", "https://sts.amazonaws.com/", FORM,
     "Action=GetCallerIdentity&Version=2011-06-15", "sts", None, None),
    ("sts-post-form-token", "POST", "https://sts.amazonaws.com/", FORM,
     "Action=GetCallerIdentity&Version=2011-06-15", "sts", TOKEN, None),
    ("iam-post-form-http", "POST", "http://localhost:4566/", FORM,
     "Action=ListUsers&PathPrefix=%2Fdivision_abc%2F&Version=2010-05-08", "iam", None, None),
    ("connect-get-federate", "GET",
     "https://connect.us-east-1.amazonaws.com/user/federate/"
     "arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2Fabc", {}, "", "connect", None, None),
    ("connect-get-query", "GET",
     "https://connect.us-east-1.amazonaws.com/users-summary/inst-1"
     "?maxResults=10&nextToken=a%2Bb%2F%3D%3D&q=%E1%88%B4%20x", {}, "", "connect", None, None),
    ("connect-put-json-spaces", "PUT",
     "https://connect.us-east-1.amazonaws.com/users/inst-1", dict(JSON, **{"X-Custom": "a   b  c"}),
     '{"Username":"jdoe","PhoneConfig":{"PhoneType":"SOFT_PHONE"}}', "connect", TOKEN, None),
    ("connect-get-dot-segments", "GET",
     "https://connect.us-east-1.amazonaws.com/a/./b/../c//d/", {}, "", "connect", None, None),
    ("sts-presign-get", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
     {}, "", "sts", None, 900),
    ("sts-presign-get-token", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
     {"x-k8s-aws-id": "my-cluster"}, "", "sts", TOKEN, 60),
    # As botocore's query protocol hands it over: the body as a dict, which presigning moves
    # into the query string.
    ("sts-presign-post-body-moved", "POST", "https://sts.amazonaws.com/", FORM,
     {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, "sts", None, 3600),
]


def main():
    index = []
    for name, method, url, headers, body, service, token, expires in CASES:
        creds = Credentials(AKID, SECRET, token)
        req = AWSRequest(method=method, url=url, headers=dict(headers), data=body.encode() if isinstance(body, str) else body)
        if expires is None:
            signer = botocore.auth.SigV4Auth(creds, service, "us-east-1")
        else:
            signer = botocore.auth.SigV4QueryAuth(creds, service, "us-east-1", expires=expires)
        with mock.patch.object(botocore.auth.datetime, "datetime") as dt:
            dt.utcnow.return_value = WHEN
            dt.now.return_value = WHEN.replace(tzinfo=datetime.timezone.utc)
            signer.add_auth(req)
        p = req.prepare()
        parts = urlsplit(p.url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        lines = [f"{p.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{k}: {v.decode() if isinstance(v, bytes) else v}" for k, v in p.headers.items()]
        raw = p.body or b""
        if isinstance(raw, str):
            raw = raw.encode()
        if raw and not any(k.lower() == "content-length" for k in p.headers):
            lines.append(f"Content-Length: {len(raw)}")
        with open(name + ".txt", "wb") as f:
            f.write(("\r\n".join(lines) + "\r\n\r\n").encode() + raw)
        index.append({"name": name, "access_key_id": AKID, "secret": SECRET, "token": token or "",
                      "timestamp": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"), "presigned": expires is not None})
    with open("cases.json", "w") as f:
        json.dump({"botocore": botocore.__version__, "cases": index}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
