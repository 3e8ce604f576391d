#!/usr/bin/env python3
"""Provision a Connect instance the way a team's script does, with boto3, and check every answer
against the Connect service model.

It creates an instance, a three-level user hierarchy, a security profile, a queue, a routing
profile and 20 users; changes each field of each user; tags them; searches them by username, by
tag, by hierarchy group, combined with AND/OR; walks every List and Search paginator over more
than 250 items; and deletes what it made. Run it against connectfed as it is (nothing in it
knows connectfed):

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
        python3 examples/boto3/provision.py --endpoint-url http://127.0.0.1:8080

The credentials need the Connect actions it calls (the account root has them). With
--check-shapes (the default), every response body is compared member by member with the output
shape of its operation in botocore's copy of the Connect model: a member the shape does not
have, a value of the wrong type, an enum value the model does not list, or a required member
missing is a finding. Findings, and any assertion that fails, make it exit 1.
"""

import argparse
import json
import sys
import time

import boto3
import botocore.config


class ShapeChecker:
    """Checks raw response bodies against the operation's output shape."""

    def __init__(self):
        self.findings = []
        self.checked = {}

    def after_call(self, http_response, parsed, model, **kwargs):
        if model.output_shape is None or not http_response.content:
            return
        if http_response.status_code >= 300:
            return
        body = json.loads(http_response.content)
        self.checked[model.name] = self.checked.get(model.name, 0) + 1
        self.check(model.name, model.output_shape, body, model.name)

    def problem(self, op, path, what):
        self.findings.append(f"{op}: {path}: {what}")

    def check(self, op, shape, value, path):
        t = shape.type_name
        if t == "structure":
            if not isinstance(value, dict):
                return self.problem(op, path, f"a {type(value).__name__}, the model has a structure")
            names = {m.serialization.get("name", k): (k, m) for k, m in shape.members.items()
                     if m.serialization.get("location") in (None, "")}
            for key, v in value.items():
                if key not in names:
                    self.problem(op, path, f"member {key} is not in {shape.name}")
                    continue
                self.check(op, names[key][1], v, f"{path}.{key}")
            for req in shape.required_members:
                member = shape.members[req]
                if member.serialization.get("location") in (None, "") and member.serialization.get("name", req) not in value:
                    self.problem(op, path, f"required member {req} of {shape.name} is missing")
        elif t == "list":
            if not isinstance(value, list):
                return self.problem(op, path, f"a {type(value).__name__}, the model has a list")
            for i, v in enumerate(value):
                self.check(op, shape.member, v, f"{path}[{i}]")
        elif t == "map":
            if not isinstance(value, dict):
                return self.problem(op, path, f"a {type(value).__name__}, the model has a map")
            for k, v in value.items():
                self.check(op, shape.value, v, f"{path}[{k}]")
        elif t == "string":
            if not isinstance(value, str):
                return self.problem(op, path, f"a {type(value).__name__}, the model has a string")
            if shape.enum and value not in shape.enum:
                self.problem(op, path, f"{value!r} is not one of {shape.name}'s values {shape.enum}")
        elif t in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                self.problem(op, path, f"a {type(value).__name__}, the model has an {t}")
        elif t == "boolean":
            if not isinstance(value, bool):
                self.problem(op, path, f"a {type(value).__name__}, the model has a boolean")
        elif t == "timestamp":
            # restJson1 timestamps are epoch seconds unless the shape says otherwise.
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.problem(op, path, f"a {type(value).__name__}, the model has an epoch-seconds timestamp")
        elif t in ("double", "float"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.problem(op, path, f"a {type(value).__name__}, the model has a {t}")


class Run:
    def __init__(self, client):
        self.c = client
        self.failures = []

    def expect(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("FAIL:", what, file=sys.stderr)

    def all(self, op, key, **kwargs):
        """Every item a paginator walks, in pages of page_size when given."""
        size = kwargs.pop("page_size", None)
        config = {"PageSize": size} if size else {}
        items, pages = [], 0
        for page in self.c.get_paginator(op).paginate(PaginationConfig=config, **kwargs):
            items.extend(page[key])
            pages += 1
        return items, pages


def provision(r, users_n, many):
    c = r.c
    suffix = str(int(time.time() * 1000))[-8:]
    inst = c.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="boto3-" + suffix,
                             InboundCallsEnabled=True, OutboundCallsEnabled=True, Tags={"made-by": "boto3"})
    iid = inst["Id"]
    r.expect(c.describe_instance(InstanceId=iid)["Instance"]["InstanceStatus"] == "ACTIVE", "the instance is ACTIVE")

    # The hierarchy: three levels, a site, two teams below it.
    c.update_user_hierarchy_structure(InstanceId=iid, HierarchyStructure={
        "LevelOne": {"Name": "Site"}, "LevelTwo": {"Name": "Team"}, "LevelThree": {"Name": "Pod"}})
    site = c.create_user_hierarchy_group(InstanceId=iid, Name="Lisbon")["HierarchyGroupId"]
    teams = [c.create_user_hierarchy_group(InstanceId=iid, Name=n, ParentGroupId=site)["HierarchyGroupId"]
             for n in ("Billing", "Support")]
    c.describe_user_hierarchy_group(InstanceId=iid, HierarchyGroupId=teams[0])
    c.describe_user_hierarchy_structure(InstanceId=iid)

    # Profiles: a security profile, a queue on the instance's Basic Hours, a routing profile.
    agent_sp = next(p["Id"] for p in c.list_security_profiles(InstanceId=iid)["SecurityProfileSummaryList"] if p["Name"] == "Agent")
    sp = c.create_security_profile(InstanceId=iid, SecurityProfileName="Tier 2", Description="escalations",
                                   Permissions=["BasicAgentAccess", "OutboundCallAccess"], Tags={"tier": "2"})["SecurityProfileId"]
    c.describe_security_profile(InstanceId=iid, SecurityProfileId=sp)
    basic = next(q for q in c.list_queues(InstanceId=iid)["QueueSummaryList"] if q["Name"] == "BasicQueue")
    hours = c.describe_queue(InstanceId=iid, QueueId=basic["Id"])["Queue"]["HoursOfOperationId"]
    queue = c.create_queue(InstanceId=iid, Name="Escalations", HoursOfOperationId=hours, MaxContacts=10)["QueueId"]
    rp = c.create_routing_profile(InstanceId=iid, Name="Escalations", Description="tier 2", DefaultOutboundQueueId=queue,
                                  MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1}, {"Channel": "CHAT", "Concurrency": 2}],
                                  QueueConfigs=[{"QueueReference": {"QueueId": queue, "Channel": "VOICE"}, "Priority": 1, "Delay": 0}])["RoutingProfileId"]
    basic_rp = next(p["Id"] for p in c.list_routing_profiles(InstanceId=iid)["RoutingProfileSummaryList"] if p["Name"] == "Basic Routing Profile")
    c.describe_routing_profile(InstanceId=iid, RoutingProfileId=rp)
    c.list_routing_profile_queues(InstanceId=iid, RoutingProfileId=rp)
    c.list_security_profile_permissions(InstanceId=iid, SecurityProfileId=sp)

    # 20 users, then every field of each changed.
    users = []
    for i in range(users_n):
        out = c.create_user(InstanceId=iid, Username=f"agent{i:02d}", Password="Passw0rd-boto3",
                            IdentityInfo={"FirstName": "Agent", "LastName": f"{i:02d}"},
                            PhoneConfig={"PhoneType": "SOFT_PHONE"}, SecurityProfileIds=[agent_sp], RoutingProfileId=basic_rp)
        users.append(out["UserId"])
    for i, u in enumerate(users):
        team = teams[i % 2]
        before = c.describe_user(InstanceId=iid, UserId=u)["User"]["LastModifiedTime"]
        c.update_user_identity_info(InstanceId=iid, UserId=u, IdentityInfo={
            "FirstName": "Ada" if i % 2 else "Grace", "LastName": f"Agent{i:02d}", "Email": f"agent{i:02d}@example.com"})
        c.update_user_phone_config(InstanceId=iid, UserId=u, PhoneConfig={
            "PhoneType": "DESK_PHONE", "DeskPhoneNumber": "+14155550100", "AutoAccept": True, "AfterContactWorkTimeLimit": 30})
        c.update_user_routing_profile(InstanceId=iid, UserId=u, RoutingProfileId=rp)
        c.update_user_security_profiles(InstanceId=iid, UserId=u, SecurityProfileIds=[agent_sp, sp])
        c.update_user_hierarchy(InstanceId=iid, UserId=u, HierarchyGroupId=team)
        c.tag_resource(resourceArn=c.describe_user(InstanceId=iid, UserId=u)["User"]["Arn"],
                       tags={"shift": "night" if i % 4 == 0 else "day", "team": "billing" if i % 2 == 0 else "support"})
        got = c.describe_user(InstanceId=iid, UserId=u)["User"]
        r.expect(got["IdentityInfo"]["Email"] == f"agent{i:02d}@example.com", f"user {i}: the email stands")
        r.expect(got["PhoneConfig"]["PhoneType"] == "DESK_PHONE", f"user {i}: the phone config stands")
        r.expect(got["RoutingProfileId"] == rp and sorted(got["SecurityProfileIds"]) == sorted([agent_sp, sp]), f"user {i}: the profiles stand")
        r.expect(got["HierarchyGroupId"] == team, f"user {i}: the hierarchy group stands")
        r.expect(got["LastModifiedTime"] > before, f"user {i}: LastModifiedTime moved")

    # Searches.
    def search(**kw):
        return c.search_users(InstanceId=iid, **kw)
    r.expect(len(search(SearchCriteria={"StringCondition": {"FieldName": "Username", "Value": "agent07", "ComparisonType": "EXACT"}})["Users"]) == 1,
             "search by username finds one")
    r.expect(len(search(SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "shift", "TagValue": "night"}}})["Users"]) == (users_n + 3) // 4,
             "search by tag finds the night shift")
    r.expect(len(search(SearchCriteria={"HierarchyGroupCondition": {"Value": teams[0], "HierarchyGroupMatchType": "EXACT"}})["Users"]) == (users_n + 1) // 2,
             "search by hierarchy group finds the team")
    r.expect(len(search(SearchCriteria={"HierarchyGroupCondition": {"Value": site, "HierarchyGroupMatchType": "WITH_CHILD_GROUPS"}})["Users"]) == users_n,
             "search below the site finds everyone")
    both = search(SearchCriteria={"AndConditions": [
        {"StringCondition": {"FieldName": "FirstName", "Value": "ada", "ComparisonType": "CONTAINS"}},
        {"HierarchyGroupCondition": {"Value": teams[1], "HierarchyGroupMatchType": "EXACT"}}]})
    r.expect(len(both["Users"]) == users_n // 2, "AND of a name and a group")
    either = search(SearchCriteria={"OrConditions": [
        {"StringCondition": {"FieldName": "Username", "Value": "agent00", "ComparisonType": "EXACT"}},
        {"StringCondition": {"FieldName": "Username", "Value": "agent01", "ComparisonType": "EXACT"}}]},
        SearchFilter={"TagFilter": {"OrConditions": [[{"TagKey": "team", "TagValue": "billing"}], [{"TagKey": "team", "TagValue": "support"}]]}})
    r.expect(len(either["Users"]) == 2 and either["ApproximateTotalCount"] == 2, "OR of two usernames, within an OR of tags")
    listed, _ = r.all("list_users", "UserSummaryList", InstanceId=iid, page_size=7)
    r.expect(len(listed) == users_n, f"ListUsers pages through {users_n} users")

    # Instance attributes and approved origins.
    c.update_instance_attribute(InstanceId=iid, AttributeType="CONTACT_LENS", Value="true")
    r.expect(c.describe_instance_attribute(InstanceId=iid, AttributeType="CONTACT_LENS")["Attribute"]["Value"] == "true", "CONTACT_LENS set")
    attrs, _ = r.all("list_instance_attributes", "Attributes", InstanceId=iid)
    r.expect(len(attrs) == 13, "ListInstanceAttributes lists the 13 attribute types")
    c.associate_approved_origin(InstanceId=iid, Origin="https://agents.example.com")
    c.list_tags_for_resource(resourceArn=inst["Arn"])

    if many:
        paginate(r, iid, site, hours, rp, sp, basic_rp, agent_sp, many)

    # Delete what was made.
    for u in users:
        c.delete_user(InstanceId=iid, UserId=u)
    c.delete_routing_profile(InstanceId=iid, RoutingProfileId=rp)
    c.delete_security_profile(InstanceId=iid, SecurityProfileId=sp)
    groups, _ = r.all("list_user_hierarchy_groups", "UserHierarchyGroupSummaryList", InstanceId=iid)
    for g in [g["Id"] for g in groups if g["Id"] != site] + [site]:  # the site last: the others are below it
        c.delete_user_hierarchy_group(InstanceId=iid, HierarchyGroupId=g)
    c.delete_instance(InstanceId=iid)
    try:
        c.describe_instance(InstanceId=iid)
        r.expect(False, "the deleted instance is gone")
    except c.exceptions.ResourceNotFoundException:
        pass


def paginate(r, iid, site, hours, rp, sp, basic_rp, agent_sp, n):
    """Walk every List and Search paginator over n (> 250) items, in small pages. The users made
    here hold the instance's own profiles, so that the ones provision made can be deleted."""
    c = r.c
    for i in range(n):
        c.create_user(InstanceId=iid, Username=f"bulk{i:04d}", Password="Passw0rd-boto3",
                      PhoneConfig={"PhoneType": "SOFT_PHONE"},
                      SecurityProfileIds=[agent_sp], RoutingProfileId=basic_rp)
        c.create_security_profile(InstanceId=iid, SecurityProfileName=f"bulk{i:04d}")
        c.create_queue(InstanceId=iid, Name=f"bulk{i:04d}", HoursOfOperationId=hours)
        c.create_user_hierarchy_group(InstanceId=iid, Name=f"bulk{i:04d}", ParentGroupId=site)
        c.associate_approved_origin(InstanceId=iid, Origin=f"https://bulk{i:04d}.example.com")
    c.update_security_profile(InstanceId=iid, SecurityProfileId=sp, Permissions=[f"Custom.Permission{i:04d}" for i in range(n)])
    queues = [q["Id"] for q in r.all("list_queues", "QueueSummaryList", InstanceId=iid)[0]]
    for i in range(0, len(queues), 10):
        c.associate_routing_profile_queues(InstanceId=iid, RoutingProfileId=rp, QueueConfigs=[
            {"QueueReference": {"QueueId": q, "Channel": "CHAT"}, "Priority": 5, "Delay": 0} for q in queues[i:i + 10]])
    # Routing profiles: each is an outbound home for a queue.
    for i in range(n):
        c.create_routing_profile(InstanceId=iid, Name=f"bulk{i:04d}", Description="bulk", DefaultOutboundQueueId=queues[0],
                                 MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1}])
    for op, key, at_least, kw in [
        ("list_users", "UserSummaryList", n, {}),
        ("search_users", "Users", n, {"SearchCriteria": {"StringCondition": {"FieldName": "Username", "Value": "bulk", "ComparisonType": "STARTS_WITH"}}}),
        ("list_security_profiles", "SecurityProfileSummaryList", n, {}),
        ("list_routing_profiles", "RoutingProfileSummaryList", n, {}),
        ("list_queues", "QueueSummaryList", n, {}),
        ("list_user_hierarchy_groups", "UserHierarchyGroupSummaryList", n, {}),
        ("list_approved_origins", "Origins", n, {}),
        ("list_security_profile_permissions", "Permissions", n, {"SecurityProfileId": sp}),
        ("list_routing_profile_queues", "RoutingProfileQueueConfigSummaryList", n, {"RoutingProfileId": rp}),
    ]:
        items, pages = r.all(op, key, InstanceId=iid, page_size=25 if op != "list_approved_origins" else 20, **kw)
        r.expect(len(items) >= at_least and pages > 1, f"{op} walks {len(items)} items in {pages} pages (want at least {at_least})")
        print(f"{op}: {len(items)} items in {pages} pages")


def self_test():
    """The checker finds what it is for: each body below breaks the model once."""
    import botocore.session
    model = botocore.session.get_session().get_service_model("connect")
    bad = {
        "DescribeUser": {"User": {"Id": "u", "Username": "a", "Nickname": "x"}},  # a member the shape lacks
        "ListUsers": {"UserSummaryList": {"Id": "u"}},  # a structure where a list belongs
        "DescribeQueue": {"Queue": {"QueueId": "q", "Status": "PAUSED"}},  # a value the enum lacks
        "DescribeRoutingProfile": {"RoutingProfile": {"NumberOfAssociatedUsers": "3"}},  # a string for a long
        "DescribeInstance": {"Instance": {"CreatedTime": "2026-12-06T00:00:00Z"}},  # a date string for epoch seconds
        "ListRoutingProfileQueues": {"RoutingProfileQueueConfigSummaryList": [{"QueueId": "q"}]},  # required members missing
    }
    failures = []
    for op, body in bad.items():
        checker = ShapeChecker()
        operation = model.operation_model(op)
        checker.check(op, operation.output_shape, body, op)
        if not checker.findings:
            failures.append(f"the checker found nothing wrong with {op}'s {body}")
    good = ShapeChecker()
    good.check("DescribeQueue", model.operation_model("DescribeQueue").output_shape,
               {"Queue": {"QueueId": "q", "Status": "ENABLED", "MaxContacts": 3, "LastModifiedTime": 1.5}}, "DescribeQueue")
    failures += [f"a false finding: {f}" for f in good.findings]
    print(json.dumps({"self_test_failures": failures}))
    return not failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint-url", help="the server (default: the AWS SDK's own resolution)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--users", type=int, default=20, help="how many users to provision and change")
    ap.add_argument("--paginate", type=int, default=260, help="how many of each kind the paginators walk (0: skip)")
    ap.add_argument("--no-check-shapes", dest="check", action="store_false", help="do not check responses against the model")
    ap.add_argument("--self-test", action="store_true", help="only show that the shape checker finds broken bodies")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(0 if self_test() else 1)

    session = boto3.session.Session(region_name=args.region)
    client = session.client("connect", endpoint_url=args.endpoint_url,
                            config=botocore.config.Config(retries={"max_attempts": 1}))
    checker = ShapeChecker()
    if args.check:
        client.meta.events.register("after-call.connect", checker.after_call)
    r = Run(client)
    provision(r, args.users, args.paginate)
    print(json.dumps({"operations_checked": checker.checked, "shape_findings": checker.findings, "failures": r.failures}, indent=1, sort_keys=True))
    if checker.findings or r.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
