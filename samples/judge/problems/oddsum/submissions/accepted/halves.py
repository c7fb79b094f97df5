n = int(input())
a = n // 2
if a % 2 == 0:
    a -= 1
print(a, n - a)
