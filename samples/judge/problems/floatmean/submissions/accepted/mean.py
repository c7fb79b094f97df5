n = int(input())
xs = list(map(float, input().split()))
print(sum(xs) / n)
