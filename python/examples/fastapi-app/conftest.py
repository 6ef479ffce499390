# Lets the tests import the example's modules (users, web, main) from this folder.
