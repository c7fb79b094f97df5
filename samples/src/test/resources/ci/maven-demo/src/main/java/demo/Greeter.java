package demo;
public final class Greeter { public static String greet(String n) { return "hello " + n; } }
