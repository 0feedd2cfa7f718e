"""The load suite's users (bench/load.py starts `locust -f bench/locustfile.py --headless`).

Each simulated person is one of the demo bank's customer managers, logged in once through
the real log-in form, who then works their book the way a manager does: the customer list,
a name search, a customer's 360 page, now and then an XLSX export of their list. The people
and their customers come from the JSON file bench/load.py writes (LOAD_USERS_FILE), so that
every request is one a real manager may make (no 404s from guessed numbers)."""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

PEOPLE = json.loads(open(os.environ["LOAD_USERS_FILE"], encoding="utf-8").read())
_next_person = itertools.count()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Manager(HttpUser):
    # A person reads a page before the next click; without a pause 50 "users" would be 50
    # scripts hammering the server, which is a different (and unrealistic) test.
    wait_time = between(1, 4)

    def on_start(self):
        self.person = PEOPLE[next(_next_person) % len(PEOPLE)]
        page = self.client.get("/accounts/login/", name="log-in form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={"username": self.person["username"], "password": self.person["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="log-in",
            catch_response=True,
        ) as response:
            if "/accounts/login/" in response.url:
                response.failure(f"log-in of {self.person['username']} failed")

    @task(4)
    def customer_list(self):
        self.client.get("/customers/", name="list")

    @task(3)
    def search(self):
        self.client.get("/customers/", params={"q": random.choice(self.person["fragments"])}, name="search")

    @task(6)
    def customer_360(self):
        self.client.get(f"/customers/{random.choice(self.person['customers'])}/", name="360")

    @task(1)
    def export(self):
        with self.client.get("/customers/", params={"export": "xlsx"}, name="export", catch_response=True) as response:
            if not response.headers.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
                response.failure("the export did not answer with an XLSX file")

    @task(1)
    def home(self):
        self.client.get("/", name="home")
